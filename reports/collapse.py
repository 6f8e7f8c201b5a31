"""A table's border conflicts resolved once per style (issue 14).

In the collapsing border model WeasyPrint decides which border wins on each edge of the
table's grid (``collapse_table_borders``, when the boxes are built): for each side of
each cell, row, row group, column, column group and the table, on every grid edge it
covers, it reads the side's style, width and colour from the box's computed style, scores
them and keeps the strongest. A whole-year coordination status asks ~58,000 times, ~6 % of
its layout's time (docs/benchmark.md), for answers that depend only on the computed style
and the side, and almost every cell of a long table shares its computed style with the
others of its column.

``collapse_table_borders`` is WeasyPrint 70's function with one change: a side's score
and border are read from a style once per table and looked up after that. The order the
boxes are visited in, the scores, the tie rule (the earlier wins), the null borders inside
spanned cells and the used widths set on every box are WeasyPrint's own; the grids are the
same, edge for edge (``tests/test_document_collapse.py`` compares them with WeasyPrint's
for tables with spans, hidden, double, dashed and coloured borders, both directions).
"""

from __future__ import annotations

SIDES = ("top", "right", "bottom", "left")


def collapse_table_borders(table, grid_width, grid_height):
    """WeasyPrint's ``collapse_table_borders``, each style's sides scored once. Long: the
    library's steps, kept in its order (see the module's docstring)."""
    from weasyprint.draw.color import get_color
    from weasyprint.layout.table import TRANSPARENT

    if not (grid_width and grid_height):
        return [], []

    styles = reversed(
        [
            "hidden",
            "double",
            "solid",
            "dashed",
            "dotted",
            "ridge",
            "outset",
            "groove",
            "inset",
            "none",
        ]
    )
    style_scores = {style: score for score, style in enumerate(styles)}
    style_map = {"inset": "ridge", "outset": "groove"}
    weak_null_border = ((0, 0, style_scores["none"]), ("none", 0, TRANSPARENT))
    vertical_borders = [[weak_null_border] * (grid_width + 1) for _ in range(grid_height)]
    horizontal_borders = [[weak_null_border] * grid_width for _ in range(grid_height + 1)]
    ltr = table.style["direction"] == "ltr"
    scored = {}  # id(style) -> (style, its four sides' (score, border))

    def sides_of(box_style):
        found = scored.get(id(box_style))
        if found is None:
            sides = {}
            for side in SIDES:
                style = box_style[f"border_{side}_style"]
                width = box_style[f"border_{side}_width"]
                color = get_color(box_style, f"border_{side}_color")
                score = ((1 if style == "hidden" else 0), width, style_scores[style])
                sides[side] = (score, (style_map.get(style, style), width, color))
            found = scored[id(box_style)] = (box_style, sides)  # the style kept alive
        return found[1]

    def set_borders(box, x, y, w, h):
        sides = sides_of(box.style)
        if ltr:
            left, right = (x, x + w)
            columns = range(x, x + w)
        else:
            left, right = (-1 - w - x, -1 - x)
            columns = range(-1 - x, -1 - x - w, -1)
        for grid_x, side in ((left, "left"), (right, "right")):
            border = sides[side]
            for yy in range(y, y + h):
                row = vertical_borders[yy]
                if row[grid_x][0] < border[0]:  # strict: the earlier wins a tie
                    row[grid_x] = border
        for grid_y, side in ((y, "top"), (y + h, "bottom")):
            border = sides[side]
            row = horizontal_borders[grid_y]
            for xx in columns:
                if row[xx][0] < border[0]:
                    row[xx] = border

    strong_null_border = ((1, 0, style_scores["hidden"]), ("hidden", 0, TRANSPARENT))
    grid_y = 0
    for row_group in table.children:
        for row in row_group.children:
            for cell in row.children:
                # Force null border inside of a cell with rowspan or colspan.
                grid_x, colspan, rowspan = cell.grid_x, cell.colspan, cell.rowspan
                if ltr:
                    vertical_x_range = range(grid_x + 1, grid_x + colspan)
                    horizontal_x_range = range(grid_x, grid_x + colspan)
                else:
                    vertical_x_range = range(-2 - grid_x, -1 - grid_x - colspan, -1)
                    horizontal_x_range = range(-1 - grid_x, -1 - grid_x - colspan, -1)
                for xx in vertical_x_range:
                    for yy in range(grid_y, grid_y + rowspan):
                        vertical_borders[yy][xx] = strong_null_border
                for xx in horizontal_x_range:
                    for yy in range(grid_y + 1, grid_y + rowspan):
                        horizontal_borders[yy][xx] = strong_null_border
                set_borders(cell, grid_x, grid_y, colspan, rowspan)
            grid_y += 1

    grid_y = 0
    for row_group in table.children:
        for row in row_group.children:
            set_borders(row, 0, grid_y, grid_width, 1)
            grid_y += 1

    grid_y = 0
    for row_group in table.children:
        rowspan = len(row_group.children)
        set_borders(row_group, 0, grid_y, grid_width, rowspan)
        grid_y += rowspan

    for column_group in table.column_groups:
        for column in column_group.children:
            set_borders(column, column.grid_x, 0, 1, grid_height)

    for column_group in table.column_groups:
        set_borders(column_group, column_group.grid_x, 0, column_group.span, grid_height)

    set_borders(table, 0, 0, grid_width, grid_height)
    _set_used_widths(table, grid_width, grid_height, vertical_borders, horizontal_borders)
    return vertical_borders, horizontal_borders


def _set_used_widths(table, grid_width, grid_height, vertical_borders, horizontal_borders):
    """Transparent borders of the resolved widths on each box, as WeasyPrint sets them
    (the grid itself is painted separately). Long: the library's own steps, unchanged."""

    def set_used(box, side, twice_width):
        setattr(box, f"border_{side}_width", twice_width / 2)

    def remove_borders(box):
        for side in SIDES:
            set_used(box, side, 0)

    def max_vertical_width(x, y1, y2):
        return max([grid_row[x][1][1] for grid_row in vertical_borders[y1:y2]])

    def max_horizontal_width(x1, y, x2):
        return max([width for _, (_, width, _) in horizontal_borders[y][x1:x2]])

    ltr = table.style["direction"] == "ltr"
    grid_y = 0
    for row_group in table.children:
        remove_borders(row_group)
        for row in row_group.children:
            remove_borders(row)
            for cell in row.children:
                x, y = cell.grid_x, grid_y
                colspan, rowspan = cell.colspan, cell.rowspan
                if ltr:
                    top = max_horizontal_width(x, y, x + colspan)
                    bottom = max_horizontal_width(x, y + rowspan, x + colspan)
                    left = max_vertical_width(x, y, y + rowspan)
                    right = max_vertical_width(x + colspan, y, y + rowspan)
                else:
                    top = max_horizontal_width(-colspan - x, y, -x or None)
                    bottom = max_horizontal_width(-colspan - x, y + rowspan, -x or None)
                    left = max_vertical_width(-1 - colspan - x, y, y + rowspan)
                    right = max_vertical_width(-1 - x, y, y + rowspan)
                set_used(cell, "top", top)
                set_used(cell, "bottom", bottom)
                set_used(cell, "left", left)
                set_used(cell, "right", right)
            grid_y += 1

    for column_group in table.column_groups:
        remove_borders(column_group)
        for column in column_group.children:
            remove_borders(column)

    set_used(table, "top", max_horizontal_width(0, 0, grid_width))
    set_used(table, "bottom", max_horizontal_width(0, grid_height, grid_width))
    # The table's left and right from the first row only (CSS 2.1 17.6.2).
    set_used(table, "left", max_vertical_width(0, 0, 1))
    set_used(table, "right", max_vertical_width(grid_width, 0, 1))


def install() -> None:
    """Resolve border conflicts with ``collapse_table_borders`` (once per process)."""
    import weasyprint.formatting_structure.build as build

    if getattr(build.collapse_table_borders, "scored_once", False):
        return
    collapse_table_borders.__wrapped__ = build.collapse_table_borders
    collapse_table_borders.scored_once = True
    build.collapse_table_borders = collapse_table_borders
