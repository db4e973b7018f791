import pytest

from bot.redact import iban_ok, luhn_ok, redact


@pytest.mark.parametrize(
    "text, tag",
    [
        ("FİN: 5ZXK4PT", "[FIN]"),
        ("my phone is +994 50 123 45 67", "[PHONE]"),
        ("zəng edin 055-123-45-67", "[PHONE]"),
        ("пишите на ivan.petrov@example.com", "[EMAIL]"),
        ("kart 4169 7388 1234 5670", "[CARD]"),
        ("IBAN AZ21NABZ00000000137010001944", "[IBAN]"),
        ("şəxsiyyət vəsiqəsi AZE12345678", "[ID_CARD]"),
        ("pasport C01234567", "[PASSPORT]"),
        ("VÖEN 1234567891", "[VOEN]"),
    ],
)
def test_identifiers_are_replaced(text, tag):
    assert tag in redact(text)


def test_checksums_spare_ordinary_numbers():
    assert luhn_ok("4169738812345670") and not luhn_ok("4169738812345671")
    assert iban_ok("AZ21NABZ00000000137010001944") and not iban_ok("AZ22NABZ00000000137010001944")
    assert redact("kart 4169 7388 1234 5671") == "kart 4169 7388 1234 5671"


def test_plain_text_untouched():
    text = "Vergi borcumu 2024-cü il üçün necə yoxlayım? 108 zəng etdim."
    assert redact(text) == text
    assert redact("") == ""
