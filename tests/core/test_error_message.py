"""A limit reached, shown on a page, says when to try again."""

from django.utils import translation

from core.errors import Throttled
from core.forms import error_message


def test_a_throttled_page_error_says_when_to_retry():
    with translation.override("zh-hans"):
        assert error_message(Throttled(42)) == "请求过于频繁，请在 42 秒后重试。"
        assert error_message(Throttled(61)) == "请求过于频繁，请在 2 分钟后重试。"
    with translation.override("en"):
        assert error_message(Throttled(1)) == "Too many requests. Try again in 1 second."
        assert error_message(Throttled(600, "Slow down.")) == "Slow down. Try again in 10 minutes."
