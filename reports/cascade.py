"""Styles cascaded once per shared computed style (issue 14).

WeasyPrint computes each element's style in tree order (``StyleFor.__init__``): it matches
the element against every stylesheet, merges the matched rules' declarations into a
cascaded style, then computes the style from it, unless an element with the same parent
style, the same ``style`` attribute and the same matched rules already has one; then it
shares that computed style and the cascaded style it merged is never read. In a long table
almost every cell shares (7,316 elements, a few dozen computed styles in a whole-year
coordination status), so most of the merging, ~40 % of the step's time, was thrown away
(docs/benchmark.md).

``LeanStyleFor`` is WeasyPrint 70's ``StyleFor.__init__`` with one change: the matched rules
are gathered first and the key looked up; an element that shares a computed style has only
its pseudo-elements' declarations merged (they are computed in the second pass, as before).
Everything else — the order, the weights, the shared styles, the pseudo-elements, the
page rules — is WeasyPrint's own; the computed styles are the same, element for element
(``tests/test_document_cascade.py`` compares them with WeasyPrint's for every kind of
document).
"""

from __future__ import annotations

from math import inf


def lean_class():
    """``StyleFor`` whose shared styles skip the merging nobody reads. Long: the class
    holds WeasyPrint's own constructor, made here so WeasyPrint is imported only when a
    document is laid out."""
    from weasyprint.css import (
        StyleFor,
        declaration_precedence,
        find_style_attributes,
        preprocess_declarations,
    )

    class LeanStyleFor(StyleFor):
        def __init__(self, html, sheets, presentational_hints, font_config, target_collector):
            """Long: WeasyPrint's own steps (kept in its order), the merge skipped for an
            element that shares an existing computed style."""
            self._cascaded_styles = cascaded_styles = {}
            self._computed_styles = computed_styles = {}
            self.initial_page_sizes = {"box": None, "area": None}
            self._sheets = sheets
            self.font_config = font_config

            elements_declarations = {}
            for specificity, element, declarations, base_url in find_style_attributes(
                html.etree_element, presentational_hints, html.base_url
            ):
                style = cascaded_styles.setdefault((element, None), {})
                elements_declarations[element] = tuple(declarations)
                for name, values, importance in preprocess_declarations(base_url, declarations):
                    weight = (declaration_precedence("author", importance), inf, specificity)
                    old_weight = style.get(name, (None, None))[1]
                    if old_weight is None or old_weight <= weight:
                        style[name] = values, weight

            computed_cache = {}
            for element in html.wrapper_element.iter_subtree():
                etree_element = element.etree_element
                parent = element.parent.etree_element if element.parent else None
                parent_id = id(computed_styles[parent, None]) if element.parent else None
                matched, selectors_keys = [], []
                for sheet, origin, sheet_specificity in sheets:
                    for selector in sheet.matcher.match(element):
                        specificity, _order, pseudo_type, (declarations, layer) = selector
                        layer_order = inf if layer is None else sheet.layers.index(layer)
                        selectors_keys.append((sheet, specificity, id(declarations), layer_order))
                        matched.append(
                            (
                                origin,
                                sheet_specificity or specificity,
                                pseudo_type,
                                declarations,
                                layer_order,
                            )
                        )
                key = (parent_id, elements_declarations.get(etree_element), tuple(selectors_keys))
                shared = computed_cache.get(key)
                for origin, specificity, pseudo_type, declarations, layer_order in matched:
                    if shared is not None and pseudo_type is None:
                        continue  # the element's own cascade: only read to compute a style
                    style = cascaded_styles.setdefault((etree_element, pseudo_type), {})
                    for name, values, importance in declarations:
                        precedence = declaration_precedence(origin, importance)
                        weight = (precedence, layer_order, specificity)
                        old_weight = style.get(name, (None, None))[1]
                        if old_weight is None or old_weight <= weight:
                            style[name] = values, weight
                if shared is not None:
                    computed_styles[etree_element, None] = shared
                else:
                    self.set_computed_styles(
                        etree_element,
                        root=html.etree_element,
                        parent=parent,
                        base_url=html.base_url,
                        target_collector=target_collector,
                    )
                    computed_cache[key] = computed_styles[etree_element, None]

            for element, pseudo_type in cascaded_styles:
                if pseudo_type:
                    self.set_computed_styles(
                        element,
                        pseudo_type=pseudo_type,
                        root=html.etree_element,
                        parent=element,
                        base_url=html.base_url,
                        target_collector=target_collector,
                    )
            self._cascaded_styles.clear()

    LeanStyleFor.__qualname__ = LeanStyleFor.__name__ = "LeanStyleFor"
    return LeanStyleFor


def install() -> None:
    """Make WeasyPrint compute styles with ``LeanStyleFor`` (once per process)."""
    import weasyprint.css as css

    if getattr(css.StyleFor, "lean_cascade", False):
        return
    lean = lean_class()
    lean.lean_cascade = True
    css.StyleFor = lean
