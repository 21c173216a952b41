"""Show message text exactly as typed, with web links made clickable."""

from django import template
from django.utils.html import urlize
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter(is_safe=True)
def chat_text(text: str) -> SafeString:
    """Escape everything the sender typed, then link bare web addresses.

    Nothing the sender writes is ever interpreted as markup (M1): with
    ``autoescape`` on, ``urlize`` escapes every word and only wraps what it
    recognises as a web address or e-mail in a new anchor. Since the typed
    text is escaped, the only ``<a href="`` in the result is urlize's own.
    Links open in a new tab without giving it a handle on this one.
    Newlines are kept by CSS (``white-space: pre-wrap``), not by tags.
    """
    linked = urlize(text, nofollow=False, autoescape=True)
    return mark_safe(
        linked.replace(
            '<a href="', '<a target="_blank" rel="noopener noreferrer nofollow" href="'
        )
    )
