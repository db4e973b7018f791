"""What kind of message it is, and in which language."""
