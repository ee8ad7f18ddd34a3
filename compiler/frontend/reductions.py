"""What each LALR reduction calls: the AST builder's method, as directly as lark allows.

Lark builds a rule's callback as a chain: a child filter (drop punctuation,
splice inlined `_rules`, insert `None` for an absent `[optional]`), a
single-child shortcut for `?rules`, a visit wrapper, then the method; and it
computes positions only for parse trees.  A long program makes millions of
reductions, so `BuildingLark` replaces the chain where it can:

* a `?rule` alternative that only hands its one child up becomes
  `itemgetter(0)` (most reductions: `?postfix: atom`, `?index_item: expr`);
* a rule with a builder method and no inlined children calls the method
  straight from the raw children, with the kept ones picked by index
  (`kept_children`, the same selection as lark's filter: a test compares them);
* anything else keeps lark's chain, wrapped so the builder still sees the raw
  children (`SourceTransformer.recording`).
"""

from __future__ import annotations

import operator
from typing import Any, Callable

from lark import Lark
from lark.grammar import Rule
from lark.parsers.lalr_analysis import Reduce

from qdl.compiler.frontend.tree_rules import SourceTransformer, with_raw

first_child = operator.itemgetter(0)
ABSENT = -1  # in a kept-children plan: the `None` of an absent optional


class BuildingLark(Lark):
    """An LALR parser whose reductions build the AST through its transformer (a `SourceTransformer`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain_table(self.parser.parser.parser.parse_table, self._callbacks)

    def _prepare_callbacks(self) -> None:  # lark calls this after building or loading from its cache
        super()._prepare_callbacks()
        builder = self.options.transformer
        placeholders = self.options.maybe_placeholders
        for key, callback in list(self._callbacks.items()):
            if isinstance(key, Rule):  # (lexer callbacks are keyed by terminal name)
                self._callbacks[key] = reduction(key, callback, builder, placeholders)


def plain_table(table: Any, callbacks: dict) -> None:
    """Make the parse table's lookups C-level dictionary hits (the parser does two a token, one a reduction).

    A table built from the grammar (lark's cache cold) is keyed by lark
    `Token`s, whose `__eq__` is Python, and a table loaded from lark's cache
    holds copies of the rules that key `callbacks`, so each reduction's
    callback lookup ran `Rule.__eq__`: keys become plain strings and each
    reduction refers to the very rule object that keys its callback.
    """
    rules = {rule: rule for rule in callbacks if isinstance(rule, Rule)}
    for rule in rules:
        rule.origin.name = str(rule.origin.name)
    for state, actions in table.states.items():
        table.states[state] = {str(name): (action, rules.get(arg, arg) if action is Reduce else arg)
                               for name, (action, arg) in actions.items()}


def reduction(rule: Rule, callback: Callable[[list], Any], builder: SourceTransformer,
              placeholders: bool) -> Callable[[list], Any]:
    """The callback the parser calls when it reduces `rule` (lark's own is `callback`)."""
    if hands_up(rule):
        return first_child
    expand1 = rule.options.expand1 and rule.alias is None  # lark may hand a single kept child up
    method = getattr(builder, rule.alias or rule.origin.name, None)
    plan = None if expand1 or rule.options.template_source else kept_children(rule, placeholders)
    if plan is None or getattr(method, "visit_wrapper", None) is not with_raw:
        return builder.recording(callback, expand1)
    return builder.direct(method.base_func, picker(plan))


def hands_up(rule: Rule) -> bool:
    """A `?rule` alternative of one kept symbol (a nonterminal, or a token of a `!?rule`): lark returns it as is."""
    symbol = rule.expansion[0] if len(rule.expansion) == 1 else None
    if not rule.options.expand1 or rule.alias is not None or symbol is None:
        return False
    return rule.options.keep_all_tokens if symbol.is_term else not symbol.name.startswith("_")


def kept_children(rule: Rule, placeholders: bool) -> list[int] | None:
    """Indices of the raw children the rule keeps, `ABSENT` for each `None`; None if it splices an inlined rule."""
    flags = rule.options.empty_indices if placeholders else ()
    # lark's encoding: one flag per slot, True for an absent optional before the next symbol
    runs = [len(ones) for ones in "".join("1" if f else "0" for f in flags).split("0")] if flags else []
    absent = runs or [0] * (len(rule.expansion) + 1)
    plan: list[int] = []
    for index, symbol in enumerate(rule.expansion):
        plan += [ABSENT] * absent[index]
        if rule.options.keep_all_tokens or not (symbol.is_term and symbol.filter_out):
            if not symbol.is_term and symbol.name.startswith("_"):
                return None  # an inlined rule's children are spliced in: lark's filter does that
            plan.append(index)
    return plan + [ABSENT] * absent[len(rule.expansion)]


def picker(plan: list[int]) -> Callable[[list], tuple]:
    """children -> the kept ones as a tuple, by a `kept_children` plan."""
    if ABSENT in plan:
        return lambda children: tuple([None if i == ABSENT else children[i] for i in plan])
    if len(plan) > 1:
        return operator.itemgetter(*plan)
    if plan:
        index = plan[0]
        return lambda children: (children[index],)
    return lambda children: ()
