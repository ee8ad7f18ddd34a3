"""The reductions that skip lark's callback chain pick the same children lark's filter keeps."""

from __future__ import annotations

import pytest
from lark.parse_tree_builder import maybe_create_child_filter

from qdl.compiler.frontend.parser import make_parser
from qdl.compiler.frontend.reductions import ABSENT, hands_up, kept_children, picker

GRAMMARS = ["qdl.lark", "qasm2.lark", "qasm3.lark"]


def lark_kept(rule, children: list) -> list:
    """What lark's own child filter hands the rule's method."""
    make_filter = maybe_create_child_filter(rule.expansion, rule.options.keep_all_tokens, False,
                                            rule.options.empty_indices)
    if make_filter is None:
        return children
    return make_filter(lambda kept: kept)(children)


@pytest.mark.parametrize("grammar", GRAMMARS)
def test_the_kept_children_are_lark_s(grammar: str) -> None:
    parser = make_parser(cache=False, grammar=grammar)
    direct = with_absent = 0
    for rule in parser.rules:
        plan = kept_children(rule, placeholders=True)
        if plan is None or hands_up(rule):
            continue
        children = [object() for _ in rule.expansion]
        assert list(picker(plan)(children)) == lark_kept(rule, list(children)), rule
        direct += 1
        with_absent += ABSENT in plan
    assert direct > 10  # most rules with a method go direct
    assert with_absent > 0  # and some have absent optionals (a `None` in their place)


def test_a_rule_splicing_an_inlined_rule_keeps_lark_s_filter() -> None:
    parser = make_parser(cache=False)
    start = [r for r in parser.rules if r.origin.name == "start" and r.expansion]
    assert start and all(kept_children(r, True) is None for r in start)  # `start: _item*`


@pytest.mark.parametrize("cache", [False, True])
def test_the_parse_table_is_keyed_by_plain_strings_and_the_callbacks_own_rules(cache: bool, tmp_path, monkeypatch) -> None:
    from lark.parsers.lalr_analysis import Reduce

    from qdl.compiler.frontend.build_ast import AstBuilder
    monkeypatch.setenv("QDL_CACHE_DIR", str(tmp_path))
    for _ in range(2 if cache else 1):  # with the cache: built and stored, then loaded
        parser = make_parser(cache=cache, builder=AstBuilder("t.qdl"))
    inner = parser.parser.parser.parser
    keys = {id(rule) for rule in inner.callbacks}
    for actions in inner.parse_table.states.values():
        assert all(type(name) is str for name in actions)
        assert all(id(arg) in keys for action, arg in actions.values() if action is Reduce)


def test_a_list_extended_in_place_spans_from_its_first_to_its_newest_element():
    from lark import Token

    from qdl.compiler.frontend.tree_rules import SourceTransformer

    builder = SourceTransformer("t.qdl")
    a, comma, b, c = (Token("X", text, start_pos=start, end_pos=start + 1) for text, start in
                      (("a", 0), (",", 1), ("b", 2), ("c", 4)))
    items = builder._remembered(builder._listed((a, b)), [a, comma, b])
    assert builder._remembered(builder._listed((items, c)), [items, comma, c]) is items
    span = builder._span([items])
    assert (span.start, span.end) == (0, 5)
