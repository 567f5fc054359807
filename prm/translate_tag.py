"""`{% translate "literal" %}` translating the literal directly, in Django's own i18n tag library.

prm's AppConfig.ready installs it (install()): `{% load i18n %}` then gives every template, Django's and
third parties' included, this tag under both names, with no template changed. (Naming a second library "i18n" in
TEMPLATES' "libraries" would do the same, but Django's checks warn of two modules under one name.)

Django's `{% translate %}` wraps even a constant message in a lazy string on every render and converts it back
at once; pages render hundreds of them (a label per column, per button, per row's badge). Here a literal without
`noop`, `context` or a filter is translated with `gettext` when the node renders: the same catalogue, the same
language (the reader's, active at render time) and the same output, including the "%%" a literal writes for "%".
Every other form of the tag (a variable, `noop`, `context`, a filter) is Django's own node.
"""

from __future__ import annotations

from django.template.base import Variable
from django.templatetags import i18n as django_i18n
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext


class LiteralTranslateNode(django_i18n.TranslateNode):
    """`{% translate "literal" [as var] %}`: Django's TranslateNode, rendered without the lazy round trip."""

    def __init__(self, node: django_i18n.TranslateNode, literal: str) -> None:
        super().__init__(node.filter_expression, node.noop, node.asvar, node.message_context)
        # What Django's Variable.resolve hands gettext: the literal with "%" doubled, as makemessages extracts it.
        self.msgid = literal.replace("%", "%%")

    def render(self, context):
        # The literal is safe (_literal): Django marks its translation safe too, and escapes nothing.
        value = mark_safe(gettext(self.msgid).replace("%%", "%"))
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value


def _literal(node: django_i18n.TranslateNode) -> str | None:
    expression = node.filter_expression
    if node.noop or node.message_context is not None or expression.filters or not isinstance(expression.var, Variable):
        return None
    literal = expression.var.literal
    # Django's Variable marks a template's string literal safe; anything else is left to Django's node.
    return literal if isinstance(literal, SafeData) and isinstance(literal, str) else None


def do_translate(parser, token):
    """Django's parsing and errors (django.templatetags.i18n.do_translate); a literal gets the direct node."""
    node = django_i18n.do_translate(parser, token)
    literal = _literal(node)
    return node if literal is None else LiteralTranslateNode(node, literal)


def install() -> None:
    """Registers do_translate as `translate` and `trans` in Django's i18n library, before any template compiles."""
    django_i18n.register.tag("translate", do_translate)
    django_i18n.register.tag("trans", do_translate)
