"""`{% remembered %}`: a page fragment rendered once per process for each set of values it
depends on (issue 18).

The navigation bar is the same for every page of a section, for every member of a company
with the same permissions, in one language: about 60 links, each resolved and translated.
Rendering it took 2 to 3 ms of every page. It is kept in the process's memory, keyed by the
values named in the tag, the active language and the place of the tag. A reloaded template
(runserver) and a new deploy (new processes) render afresh: a changed template is never served
from an old copy.

    {% remembered tenant.slug nav_permissions nav_section %}
      … links …
    {% endremembered %}

Everything inside must depend only on those values and the language: never on the user, the
CSRF token, messages or the row being shown.
"""

import threading

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

LIMIT = 2048  # fragments per process; the oldest go first
_fragments: dict[tuple, str] = {}
_lock = threading.Lock()


class RememberedNode(template.Node):
    def __init__(self, nodelist, values):
        self.nodelist = nodelist
        self.values = values
        # This place in this parse of the template: a reloaded template (runserver) is a new
        # place, and the key holds the object, so no other node can ever share it.
        self.place = object()

    def render(self, context):
        key = (self.place, get_language(), *(value.resolve(context) for value in self.values))
        html = _fragments.get(key)
        if html is None:
            html = self.nodelist.render(context)
            with _lock:
                if len(_fragments) >= LIMIT:
                    del _fragments[next(iter(_fragments))]
                _fragments[key] = html
        return mark_safe(html)


@register.tag
def remembered(parser, token):
    values = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("endremembered",))
    parser.delete_first_token()
    return RememberedNode(nodelist, values)


def forget_all() -> None:
    """Empty the memory (tests that change templates or settings)."""
    with _lock:
        _fragments.clear()
