"""A faster drop-in for lark's contextual lexer: the same tokens, the same errors.

Lark's `ContextualLexer` gives every LALR parser state its own `BasicLexer`,
whose scanner is one regex alternation of the terminals that state accepts,
tried in lark's order (priority, width, length, name).  Its per-token path is
several Python calls deep, each ignored whitespace run or comment is a loop
iteration of its own, every name runs a second regex to retype keywords, and
the alternation itself tries some thirty alternatives one after the other.

`FastContextualLexer` keeps lark's lexers, and so their semantics, and adds
per state (built on first use):
- a dispatch on the character at the cursor: a regex made of the state's
  terminals, in lark's order, that can start with that character (found from
  the parsed regex, over-approximated), so the first alternative that matches
  is the one lark's alternation would pick;
- for a character that can start an ignored terminal, one regex that skips
  every whitespace run and comment in front of the token at once:
  `(?:ignored terminal, where no terminal before it in lark's order matches)*+`
  (a negative lookahead guards each; the possessive `*+` never gives text back);
- keyword retyping (lark's `UnlessCallback`) as a dict lookup, and inline
  line/column bookkeeping.
Whenever the fast path finds no token (end of input, an unexpected character,
an unterminated comment or string) one step of lark's own lexer runs instead,
so the end of input and every error object are lark's.  A state whose lexer
has anything this does not reproduce (user lexer callbacks, regex flags, the
`regex` module, bytes) uses lark's path throughout.

Plug it in with `Lark(..., _plugins=PLUGINS)`; lark's `cache=` keeps the option.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from re import _constants as sre, _parser as sre_parse  # the parsed form of a terminal's regex
from typing import Any

from lark.lexer import BasicLexer, ContextualLexer, LexerState, TerminalDef, Token, UnlessCallback
from lark.parsers.lalr_parser_state import ParserState
from lark.utils import TextSlice

__all__ = ["FastContextualLexer", "PLUGINS", "first_characters"]

_new_str = str.__new__
_SKIP = object()  # dispatch entry: the character may start whitespace or a comment
_CATEGORIES = {sre.CATEGORY_DIGIT: r"\d", sre.CATEGORY_NOT_DIGIT: r"\D", sre.CATEGORY_SPACE: r"\s",
               sre.CATEGORY_NOT_SPACE: r"\S", sre.CATEGORY_WORD: r"\w", sre.CATEGORY_NOT_WORD: r"\W"}
_ZERO_WIDTH = (sre.AT, sre.ASSERT, sre.ASSERT_NOT)
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)

Match = Callable[[str, int, int], "re.Match[str] | None"]


def first_characters(regexp: str) -> re.Pattern[str] | None:
    """A one-character regex matching every character a match of `regexp` can start with (None: any).

    It may accept more characters than can really start a match, never fewer.
    """
    try:
        parsed = sre_parse.parse(regexp)
        if parsed.state.flags & ~re.UNICODE:
            return None  # case folding, ASCII classes ...: not worth modelling
        classes, _nullable = _first(list(parsed))
        return None if classes is None else re.compile("|".join(classes) or "(?!)")
    except Exception:  # an unexpected construct: assume any character
        return None


def _first(items: list) -> tuple[list[str] | None, bool]:
    """The first-character classes of a sequence of parsed items, and whether it can match empty."""
    classes: list[str] = []
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue  # a lookaround or anchor consumes nothing: what follows starts the match
        if op is sre.LITERAL:
            return classes + [f"\\U{av:08x}"], False
        if op is sre.IN:
            return classes + [_char_class(av)], False
        if op is sre.BRANCH:
            parts = [_first(list(alternative)) for alternative in av[1]]
            nullable = any(n for _, n in parts)
        elif op is sre.SUBPATTERN and not av[1] & ~re.UNICODE:
            parts = [_first(list(av[3]))]
            nullable = parts[0][1]
        elif op is sre.ATOMIC_GROUP:
            parts = [_first(list(av))]
            nullable = parts[0][1]
        elif op in _REPEATS:
            parts = [_first(list(av[2]))]
            nullable = av[0] == 0 or parts[0][1]
        else:
            return None, False  # ANY, NOT_LITERAL, flags, back references: any character
        for part, _ in parts:
            if part is None:
                return None, False
            classes += part
        if not nullable:
            return classes, False
    return classes, True


def _char_class(items: list) -> str:
    """`[...]` for the items of a parsed character set."""
    parts = []
    for op, av in items:
        if op is sre.NEGATE:
            parts.insert(0, "^")
        elif op is sre.LITERAL:
            parts.append(f"\\U{av:08x}")
        elif op is sre.RANGE:
            parts.append(f"\\U{av[0]:08x}-\\U{av[1]:08x}")
        else:
            parts.append(_CATEGORIES[av])  # KeyError (another category) -> any character
    return f"[{''.join(parts)}]"


class _StateScanner:
    """One lark `BasicLexer`'s fast path: dispatch tables by character, keyword tables, newline terminals."""

    __slots__ = ("table", "tokens", "skip", "retype", "newline_types", "_terminals", "_ignored", "_owner")

    def __init__(self, owner: FastContextualLexer, lexer: BasicLexer, retype: dict[str, dict[str, str]]) -> None:
        terminals = lexer.scanner.terminals  # lark's order, keywords folded into NAME already removed
        self._owner = owner
        self._terminals = [t for t in terminals if t.name not in lexer.ignore_types]
        self._ignored = [t for t in terminals if t.name in lexer.ignore_types]
        self.table: dict[str, Any] = {}  # character at the cursor -> _SKIP or as `tokens`
        self.tokens: dict[str, Any] = {}  # character starting the token -> see `token`
        self.retype = retype
        self.newline_types = lexer.newline_types
        skips, earlier = [], []
        for terminal in terminals:
            regexp = f"(?:{terminal.pattern.to_regexp()})"
            if terminal.name in lexer.ignore_types:
                skips.append(f"(?!{'|'.join(earlier)}){regexp}" if earlier else regexp)
            else:
                earlier.append(regexp)
        self.skip = re.compile(f"(?:{'|'.join(skips)})*+").match if skips else None

    def first(self, char: str) -> Any:
        """The dispatch entry for the character at the cursor (before any whitespace)."""
        starts = self._owner.can_start
        entry = _SKIP if any(starts(t, char) for t in self._ignored) else self.token(char)
        self.table[char] = entry
        return entry

    def token(self, char: str) -> Match | str | bool:
        """How a token starting with `char` is found (False: no terminal can start so).

        The regex of the terminals that can start with `char`, in lark's order;
        or, when that is one terminal whose text is `char`, its name: no regex needed.
        """
        starts = self._owner.can_start
        candidates = [t for t in self._terminals if starts(t, char)]
        only = candidates[0] if len(candidates) == 1 else None
        if only is not None and only.pattern.type == "str" and not only.pattern.flags and only.pattern.value == char \
                and char != "\n":  # (a line break would need counting)
            entry: Match | str | bool = only.name
        else:
            entry = self._owner.token_regex(tuple(t.name for t in candidates)) if candidates else False
        self.tokens[char] = entry
        return entry


def _keyword_tables(callbacks: dict[str, Any]) -> dict[str, dict[str, str]] | None:
    """Lark's keyword retyping as tables: terminal -> {keyword text: keyword terminal}; None if not expressible."""
    tables: dict[str, dict[str, str]] = {}
    for name, callback in callbacks.items():
        if type(callback) is not UnlessCallback:
            return None  # a user lexer callback: leave the whole state to lark
        table: dict[str, str] = {}
        for terminal in callback.scanner.terminals:  # in lark's order: the first that matches fully wins
            if terminal.pattern.type != "str" or terminal.pattern.flags:
                return None
            table.setdefault(terminal.pattern.value, terminal.name)
        tables[name] = table
    return tables


class FastContextualLexer(ContextualLexer):
    """Lark's contextual lexer with a per-state, per-character fast path; the same tokens and errors."""

    def __init__(self, conf: Any, states: dict[int, Any], always_accept: Any = ()) -> None:
        super().__init__(conf, states, always_accept)
        self._fast: dict[int, _StateScanner | None] = {}  # parser state -> scanner, built on first use
        self._by_lexer: dict[int, _StateScanner | None] = {}  # id(BasicLexer) -> scanner (states share lexers)
        self._first: dict[str, re.Pattern[str] | None] = {}  # terminal -> its first characters
        self._regexes: dict[tuple[str, ...], Match] = {}  # terminal names -> their alternation's match
        self._terminals = {t.name: t for t in conf.terminals}

    def can_start(self, terminal: TerminalDef, char: str) -> bool:
        """Whether a match of `terminal` may start with `char` ("" at the end: never)."""
        if terminal.name not in self._first:
            self._first[terminal.name] = first_characters(terminal.pattern.to_regexp())
        first = self._first[terminal.name]
        return char != "" and (first is None or first.match(char) is not None)

    def token_regex(self, names: tuple[str, ...]) -> Match:
        """The alternation of these terminals, in this order, each a named group."""
        if names not in self._regexes:
            pattern = "|".join(f"(?P<{n}>{self._terminals[n].pattern.to_regexp()})" for n in names)
            self._regexes[names] = re.compile(pattern).match
        return self._regexes[names]

    def _scanner_for(self, state: int) -> _StateScanner | None:
        lexer = self.lexers[state]
        if id(lexer) not in self._by_lexer:
            self._by_lexer[id(lexer)] = self._make_scanner(lexer)
        self._fast[state] = scanner = self._by_lexer[id(lexer)]
        return scanner

    def _make_scanner(self, lexer: BasicLexer) -> _StateScanner | None:
        if type(lexer) is not BasicLexer:
            return None
        lexer.scanner  # noqa: B018 -- builds lark's scanner and `lexer.callback`
        if lexer.re is not re or lexer.use_bytes or lexer.g_regex_flags:
            return None
        retype = _keyword_tables(lexer.callback)
        # Skipped text counts its newlines in one go: exact only if lark counts them in every ignored terminal.
        if retype is None or not set(lexer.ignore_types) <= lexer.newline_types:
            return None
        try:
            return _StateScanner(self, lexer, retype)
        except (re.error, OverflowError, RecursionError):
            return None

    def _lark_step(self, lexer_state: LexerState, parser_state: Any) -> Token | None:
        """One token from lark's own contextual lexer (None at the end): its errors, its messages."""
        return next(ContextualLexer.lex(self, lexer_state, parser_state), None)

    def lex(self, lexer_state: LexerState, parser_state: Any) -> Iterator[Token]:
        """Yield the tokens of `lexer_state`'s text, each scanned in the parser's current state."""
        text_slice = lexer_state.text
        if type(text_slice) is not TextSlice or not isinstance(text_slice.text, str) \
                or lexer_state.line_ctr.newline_char != "\n":
            yield from ContextualLexer.lex(self, lexer_state, parser_state)
            return
        text, end = text_slice.text, text_slice.end
        # lark's ParserState keeps one stack list whose top is `position`: reading it saves a call a token.
        stack = parser_state.state_stack if type(parser_state) is ParserState else _Position(parser_state)
        fast = self._fast
        while True:
            try:
                scanner = fast[stack[-1]]
            except KeyError:
                scanner = self._scanner_for(stack[-1])
            # Read the counter afresh each time: whoever drives the parser may move it (error recovery).
            counter = lexer_state.line_ctr
            start = pos = counter.char_pos
            line, line_start = counter.line, counter.line_start_pos
            if scanner is not None:
                char = text[pos] if pos < end else ""
                try:
                    how = scanner.table[char]
                except KeyError:
                    how = scanner.first(char)
                if how is _SKIP:
                    start = scanner.skip(text, pos, end).end()
                    newlines = text.count("\n", pos, start)
                    if newlines:
                        line += newlines
                        line_start = text.rindex("\n", pos, start) + 1
                    char = text[start] if start < end else ""
                    try:
                        how = scanner.tokens[char]
                    except KeyError:
                        how = scanner.token(char)
                first_line, column = line, start - line_start + 1
                if type(how) is str:  # a one-character terminal, the only one starting so
                    kind, value, stop = how, char, start + 1
                elif how and (found := how(text, start, end)) is not None:
                    kind, value, stop = found.lastgroup, found.group(), found.end()
                    if "\n" in value and kind in scanner.newline_types:
                        line += value.count("\n")
                        line_start = start + value.rindex("\n") + 1
                    if kind in scanner.retype:
                        kind = scanner.retype[kind].get(value, kind)
                else:
                    scanner = None
            if scanner is None:  # the end, an error, or a state left to lark
                token = self._lark_step(lexer_state, parser_state)
                if token is None:
                    return
                yield token
                continue
            token = _new_str(Token, value)
            token.type = kind
            token.value = value
            token.start_pos = start
            token.line = first_line
            token.column = column
            token.end_line = counter.line = line
            token.end_column = counter.column = stop - line_start + 1
            token.end_pos = counter.char_pos = stop
            counter.line_start_pos = line_start
            lexer_state.last_token = token
            yield token


class _Position:
    """`parser_state.position` read as `[-1]`, for parser states other than lark's own."""

    __slots__ = ("parser_state",)

    def __init__(self, parser_state: Any) -> None:
        self.parser_state = parser_state

    def __getitem__(self, index: int) -> Any:
        return self.parser_state.position


PLUGINS = {"ContextualLexer": FastContextualLexer}
