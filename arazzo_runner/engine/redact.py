"""One place that masks secrets (credentials, password inputs) in text meant for people.

Every form a secret can take in text is computed here: the value itself, its
percent-encodings (an apiKey in a query string, a password in a form body)
and, for HTTP basic, the base64 of ``user:password`` in an Authorization
header, also without its ``=`` padding, in the URL-safe alphabet and percent-encoded (a server that
echoes the header into a redirect or a link). Percent-encodings come with upper- and lower-case hex
digits. Callers only register raw values.

A server may echo a secret escaped: JSON's ``\\/`` and ``\\u0041``, HTML's
``&amp;`` and ``&quot;``, XML's ``&#47;`` and ``&#x2F;``, in any mix. Text holding
a ``&`` or a backslash is therefore also matched character by character, each
character in any of those spellings.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus, unquote, urlsplit

__all__ = ["MASK", "MIN_SECRET_LENGTH", "TRUNCATED", "Redactor", "Secret", "url_secrets", "without_userinfo"]

MASK = "***"
TRUNCATED = "…"  # how every message marks a value it shortened
MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words and numbers everywhere

Secret = str | tuple[str, str]  # a value, or an HTTP basic (user, password) pair


_NAMED_ENTITIES = {"&": ("amp",), "<": ("lt",), ">": ("gt",), '"': ("quot",), "'": ("apos",)}


def _any_case(text: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in text)


def _escaped_char(c: str) -> str:
    """A pattern for one character in every escaped spelling a server may echo it in."""
    code = ord(c)
    alternatives = [re.escape(c), f"&#0*{code};", f"&#[xX]0*{_any_case(format(code, 'x'))};"]
    alternatives.extend(f"&{name};" for name in _NAMED_ENTITIES.get(c, ()))
    if code < 0x10000:
        alternatives.append(rf"\\u{_any_case(format(code, '04x'))}")
    if c == "/":
        alternatives.append(r"\\/")
    return "(?:" + "|".join(alternatives) + ")"


def url_secrets(url: str) -> list[Secret]:
    """The password of a ``user:password@`` URL, as an HTTP basic pair (httpx sends it as basic auth)."""
    if "@" not in url:
        return []
    try:
        split = urlsplit(url)
        password = split.password
    except ValueError:
        return []
    if not password:
        return []
    return [(unquote(split.username or ""), unquote(password)), password]


def without_userinfo(url: str) -> str:
    """``url`` with the password of any ``user:password@`` replaced by the mask (for reprs and messages)."""
    if "@" not in url:
        return url
    try:
        split = urlsplit(url)
    except ValueError:
        return url
    if "@" not in split.netloc:
        return url
    userinfo, _, host = split.netloc.rpartition("@")
    user, colon, _ = userinfo.partition(":")
    return split._replace(netloc=f"{user}{colon}{MASK if colon else ''}@{host}").geturl()


_PERCENT_ESCAPE = re.compile(r"%[0-9A-F]{2}")


def _percent_forms(text: str) -> tuple[str, ...]:
    """``text`` percent-encoded (as ``quote`` and ``quote_plus`` write it), each also with lower-case hex."""
    encoded = (quote(text, safe=""), quote_plus(text))
    return encoded + tuple(_PERCENT_ESCAPE.sub(lambda m: m.group().lower(), form) for form in encoded)


@functools.lru_cache(maxsize=128)
def _text_forms(secret: str) -> tuple[str, ...]:
    """``secret`` and the forms it takes in text (the same credentials come back run after run)."""
    return (
        secret,
        *_percent_forms(secret),
        # As it appears inside a JSON string (an echoed body, an explanation showing a value).
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    )


@functools.lru_cache(maxsize=128)
def _basic_forms(user: str, password: str) -> tuple[str, ...]:
    """The base64 of ``user:password`` as an echo may spell it: padded or not, either alphabet, percent-encoded."""
    raw = f"{user}:{password}".encode()
    spellings = (base64.b64encode(raw).decode("ascii"), base64.urlsafe_b64encode(raw).decode("ascii"))
    forms = [*spellings, *(s.rstrip("=") for s in spellings)]
    for spelling in spellings:
        forms.extend(_percent_forms(spelling))
    return tuple(dict.fromkeys(forms))


_SCALARS = frozenset((int, float, bool, type(None)))


class Redactor:
    def __init__(self, secrets: Iterable[Secret] = ()) -> None:
        self._secrets: list[str] = []
        self._added: set[Secret] = set()  # what add() and add_basic() were given: adding it again is a no-op
        self._escaped: re.Pattern[str] | None = None
        self._telling: list[str] | None = None  # see _telling_forms
        self.unmaskable = False  # a secret shorter than MIN_SECRET_LENGTH was registered (and is not masked)
        self.add_many(secrets)

    def add(self, secret: str) -> bool:
        """Mask ``secret`` and its URL-encoded forms; False when it is too short to be masked."""
        if not secret or secret in self._added:
            return True
        if len(secret) < MIN_SECRET_LENGTH:
            self.unmaskable = True
            return False
        self._extend(_text_forms(secret))
        self._added.add(secret)
        return True

    def add_basic(self, user: str, password: str) -> bool:
        """An HTTP basic pair: the password (the user name is not secret) and the encoded header value."""
        if (user, password) in self._added:
            return True
        self._extend(_basic_forms(user, password))
        maskable = self.add(password)
        if maskable:
            self._added.add((user, password))
        return maskable

    def add_many(self, secrets: Iterable[Secret]) -> None:
        for secret in secrets:
            if isinstance(secret, tuple):
                self.add_basic(*secret)
            else:
                self.add(secret)

    def secrets(self) -> list[str]:
        """Every text that is masked, longest first."""
        return list(self._secrets)

    def copy(self) -> Redactor:
        """A redactor masking what this one masks; what is added to either later stays its own."""
        twin = Redactor.__new__(Redactor)
        twin._secrets = list(self._secrets)
        twin._added = set(self._added)
        twin._escaped = self._escaped
        twin._telling = self._telling_forms()  # worked out once for every copy (the credentials' template)
        twin.unmaskable = self.unmaskable
        return twin

    def _extend(self, forms: Iterable[str]) -> None:
        added = False
        for form in forms:
            if form and len(form) >= MIN_SECRET_LENGTH and form not in self._secrets:
                self._secrets.append(form)
                added = True
        if added:
            # Longest first, so a secret containing another is masked whole.
            self._secrets.sort(key=len, reverse=True)
            self._escaped = None
            self._telling = None

    def _escaped_pattern(self) -> re.Pattern[str]:
        if self._escaped is None:
            self._escaped = re.compile("|".join("".join(map(_escaped_char, s)) for s in self._secrets))
        return self._escaped

    def _telling_forms(self) -> list[str]:
        """The masked texts that contain no other one: text holding none of them holds no masked text at all
        (a base64 form padded or percent-encoded contains the bare one), so fewer are searched for."""
        telling = self._telling
        if telling is None:
            forms = self._secrets
            telling = self._telling = [f for f in forms if not any(o in f for o in forms if o is not f)]
        return telling

    def _holds_secret(self, text: str) -> bool:
        for form in self._telling_forms():  # noqa: SIM110 - a loop: no generator to make per text
            if form in text:
                return True
        return False

    def mask(self, text: str) -> str:
        if not self._secrets:
            return text
        if self._holds_secret(text):
            for secret in self._secrets:
                if secret in text:
                    text = text.replace(secret, MASK)
        if "&" in text or "\\" in text:
            text = self._escaped_pattern().sub(MASK, text)
        if TRUNCATED in text:
            text = self._mask_cut_secrets(text)
        return text

    def _untouched(self, text: str) -> bool:
        """True when :meth:`mask` would return ``text`` as it is (no secret, nothing escaped or cut)."""
        return not ("&" in text or "\\" in text or TRUNCATED in text or self._holds_secret(text))

    def mask_value(self, value: Any) -> Any:
        """``value`` with every string in it masked (outputs shown in results); others unchanged."""
        if not self._secrets:
            return value
        return self._mask_any(value)

    def _mask_any(self, value: Any) -> Any:
        kind = type(value)  # the JSON types first: an ABC isinstance check costs more than the masking
        if kind is str:
            return self.mask(value)
        if kind is dict:
            return {key: self._mask_any(item) for key, item in value.items()}
        if kind is list:
            try:
                joined = "\0".join(value)  # only texts join: a list of texts is checked in one pass
            except TypeError:
                joined = None
            if joined is not None and self._untouched(joined):
                return list(value)
            return [self._mask_any(item) for item in value]
        if kind in _SCALARS:
            return value
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, Mapping):
            return {key: self._mask_any(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._mask_any(item) for item in value]
        return value

    def _mask_cut_secrets(self, text: str) -> str:
        """A message that shortens a long value ends it with '…': a secret cut there leaves only its
        beginning, which plain replacement cannot find. Mask any such beginning (4+ characters)."""
        pieces = text.split(TRUNCATED)
        for index, piece in enumerate(pieces[:-1]):
            for secret in self._secrets:
                for length in range(min(len(secret) - 1, len(piece)), MIN_SECRET_LENGTH - 1, -1):
                    if piece.endswith(secret[:length]):
                        piece = piece[: len(piece) - length] + MASK
                        break
            pieces[index] = piece
        return TRUNCATED.join(pieces)
