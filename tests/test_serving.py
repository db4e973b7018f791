from bot.serving import HelpdeskRef


def test_a_swap_serves_the_new_helpdesk_and_returns_the_old_one_whole():
    old, new = object(), object()
    serving = HelpdeskRef(old)  # type: ignore[arg-type]
    assert serving.current is old
    assert serving.swap(new) is old  # type: ignore[arg-type]
    assert serving.current is new
