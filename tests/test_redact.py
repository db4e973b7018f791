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


@pytest.mark.parametrize(
    "text",
    [
        "VÖEN-im 1234567891",
        "vöenim: 1234567891",
        "ИНН 9900123456",
        "TIN: 1700123452",
        "vergi ödəyicisinin eyniləşdirmə nömrəsi 1500123451",
        '{"voen": "1234567891"}',
    ],
)
def test_voen_with_its_name_is_replaced(text):
    assert "[VOEN]" in redact(text) and not any(ch.isdigit() for ch in redact(text))


def test_ten_digit_numbers_without_a_voen_word_survive():
    # A logged update: the Unix time of a message and a Telegram id are not tax numbers.
    update = '{"message_id": 1001, "date": 1764662400, "chat": {"id": 1234567890}}'
    assert redact(update) == update
    assert redact("Ödəniş 1764662400 saylı qəbzlə") == "Ödəniş 1764662400 saylı qəbzlə"


def test_the_redacting_log_filter_keeps_timestamps(caplog):
    import logging

    from bot.ops.monitoring import RedactingFilter

    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "update %r; VÖEN %s", ({"date": 1764662400}, "1234567891"), None
    )
    RedactingFilter().filter(record)
    assert record.getMessage() == "update {'date': 1764662400}; VÖEN [VOEN]"
