"""The conversation layer of citizen-helpdesk."""

__version__ = "0.1.0"
