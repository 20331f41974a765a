"""ISO 639-1 language codes and the label rules the XSD leaves to code.

The XSD only checks the shape ``[a-z]{2}``; ``xx`` passes it. The list below is the
ISO 639-1 code table (Library of Congress, ISO 639-2 registration authority).
"""

from __future__ import annotations

from jiliang.core.dcc.errors import DccError

ISO_639_1 = frozenset(
    """
aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht
hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny
oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss
st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
za zh zu
""".split()
)


def check_language(code: str, field: str) -> str:
    if code not in ISO_639_1:
        raise DccError(f"{code!r} is not an ISO 639-1 language code", field=field, code="dcc_language_code", got=repr(code))
    return code


def check_text(text: dict[str, str] | None, field: str, used: frozenset[str], mandatory: tuple[str, ...]) -> None:
    """A label must carry every mandatory language, and only used languages."""
    if text is None:
        raise DccError("required label is missing", field=field, code="dcc_label_missing")
    if not text:
        raise DccError("label has no text", field=field, code="dcc_label_empty")
    for lang, value in text.items():
        if lang not in used:
            raise DccError(
                f"language {lang!r} is not among the used languages {sorted(used)}",
                field=field,
                code="dcc_language_unused",
                lang=repr(lang),
                used=", ".join(sorted(used)),
            )
        if not str(value).strip():
            raise DccError("empty text", field=f"{field}[{lang}]", code="dcc_empty")
    missing = [lang for lang in mandatory if lang not in text]
    if missing:
        raise DccError(
            f"missing text in mandatory language(s) {', '.join(missing)}",
            field=field,
            code="dcc_label_mandatory_missing",
            languages=", ".join(missing),
        )
