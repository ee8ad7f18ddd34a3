"""Lark's LALR loop with its per-token work inlined: the same shifts and reductions, faster.

Lark drives the parse one token at a time through `ParserState.feed_token`:
a method call a token, attribute lookups and two asserts an action, and a
callback lookup keyed by `Rule` (whose `__hash__` is Python) a reduction.
`FastLALR` (given to lark as its `LALR_Parser` plugin) runs the same loop
over the same stacks with what it needs in locals and each rule's size,
goto symbol and callback looked up by `id`; a `?rule` link that hands its
child up (`reductions.first_child`) only moves the state.  Anything but a shift or a
reduction, an unexpected token above all, is handed to lark's own
`feed_token` on the unchanged state, so errors, their messages and the
error recovery (`on_error`, the interactive parser) are lark's.
"""

from __future__ import annotations

from typing import Any

from lark import Token
from lark.exceptions import UnexpectedInput
from lark.parsers.lalr_analysis import Reduce, Shift
from lark.parsers.lalr_interactive_parser import InteractiveParser
from lark.parsers.lalr_parser import LALR_Parser, _Parser

from qdl.compiler.frontend.reductions import first_child

PLUGINS = {"LALR_Parser": None}  # filled below: lark's option `_plugins` takes the class


class _FastLoop(_Parser):
    """lark's `_Parser` with `parse_from_state` inlined (the interactive parser still uses lark's)."""

    reductions: dict[int, tuple[int, str, Any]] | None = None  # id(rule) -> (size, goto symbol, callback)

    def parse_from_state(self, state: Any, last_token: Token | None = None) -> Any:
        if self.reductions is None:
            self.reductions = {id(rule): (len(rule.expansion), rule.origin.name, callback)
                               for rule, callback in self.callbacks.items() if not isinstance(rule, str)}
        states, callbacks, reductions = state.parse_conf.states, self.callbacks, self.reductions
        state_stack, value_stack = state.state_stack, state.value_stack
        try:
            token = last_token
            for token in state.lexer.lex(state):
                kind = token.type
                while True:
                    action, arg = states[state_stack[-1]].get(kind, (None, None))
                    if action is Shift:
                        state_stack.append(arg)
                        value_stack.append(token if kind not in callbacks else callbacks[kind](token))
                        break
                    if action is not Reduce or id(arg) not in reductions:
                        state.feed_token(token)  # lark's: the error (nothing has changed the stacks yet)
                        break
                    size, goto, callback = reductions[id(arg)]
                    if callback is first_child:  # a `?rule` link: the value stays, its state moves
                        state_stack[-1] = states[state_stack[-2]][goto][1]
                        continue
                    if size:
                        children = value_stack[-size:]
                        del state_stack[-size:]
                        del value_stack[-size:]
                    else:
                        children = []
                    value = callback(children)
                    state_stack.append(states[state_stack[-1]][goto][1])
                    value_stack.append(value)
            end = Token.new_borrow_pos("$END", "", token) if token else Token("$END", "", 0, 1, 1)
            return state.feed_token(end, True)
        except UnexpectedInput as exc:
            exc.interactive_parser = InteractiveParser(self, state, state.lexer)
            raise exc


class FastLALR(LALR_Parser):
    """lark's LALR parser with the inlined loop."""

    def __init__(self, parser_conf: Any, debug: bool = False, strict: bool = False) -> None:
        super().__init__(parser_conf, debug=debug, strict=strict)
        self.parser = _FastLoop(self._parse_table, parser_conf.callbacks, debug)

    @classmethod
    def deserialize(cls, data: Any, memo: Any, callbacks: Any, debug: bool = False) -> "FastLALR":
        inst = super().deserialize(data, memo, callbacks, debug)
        inst.parser = _FastLoop(inst._parse_table, callbacks, debug)
        return inst


PLUGINS["LALR_Parser"] = FastLALR
