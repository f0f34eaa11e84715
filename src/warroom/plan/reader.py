"""A plan's YAML read into plain data, with the line and column of every value and key.

Only what a plan can mean is read: text, integers, finite numbers, booleans, null, dates,
lists and mappings with plain keys, and merge keys (`<<: *defaults`). Anything else is a
located problem, never an exception: a tag outside that set (`!!python/object`), a value
its tag cannot hold (`!!timestamp tomorrow`, `2026-02-30`), a number out of range, a raw
control character, a complex key. The file's size, its nesting depth, its aliases and what
they expand to are bounded, so that no file of any shape takes long or much memory to read
(a "billion laughs" file is refused from the size its aliases would expand to, computed
once per node, before anything is expanded)."""
from __future__ import annotations

import math
import re

import yaml
from yaml.constructor import SafeConstructor
from yaml.error import Mark
from yaml.reader import Reader

from .problems import Path_, PlanError, Problem, dotted, shown

MAX_CHARS = 1_000_000  # the file, and all the text its aliases expand to
MAX_DEPTH = 32  # lists and mappings within each other (a plan needs 5)
MAX_ALIASES = 10_000  # alias references (`*name`) in the file
MAX_VALUES = 100_000  # values, once every alias and merge is expanded
MAX_INT = 2**63 - 1  # what SQLite stores as an integer
MAX_NUMBER_CHARS = 100  # the longest number literal read at all
MAX_CONTROL_REPORTS = 20

_YAML = "tag:yaml.org,2002:"
STR, NULL, BOOL, INT, FLOAT, TIMESTAMP, MERGE, VALUE = (
    _YAML + name for name in ("str", "null", "bool", "int", "float", "timestamp", "merge", "value"))
SEQ, MAP = _YAML + "seq", _YAML + "map"
_SCALAR_TAGS = {STR, NULL, BOOL, INT, FLOAT, TIMESTAMP, MERGE, VALUE}
# the form each scalar tag's value must have: what the resolver would have recognised
_FORMS = {tag: regexp for resolvers in yaml.SafeLoader.yaml_implicit_resolvers.values()
          for tag, regexp in resolvers}
_NOT_PRINTABLE = Reader.NON_PRINTABLE
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


class _Refused(Exception):
    """A problem that ends the reading at once (the file cannot be read any further)."""

    def __init__(self, line: int, column: int, field: str, message: str):
        super().__init__(message)
        self.place, self.field, self.message = (line, column), field, message


class _Alias(yaml.Node):
    """Where an alias (`*name`) was written, pointing at the node it names. PyYAML's
    composer puts the named node itself in its place, losing where the alias was."""

    id = "alias"

    def __init__(self, target: yaml.Node, name: str, start_mark: Mark, end_mark: Mark):
        super().__init__(target.tag, target, start_mark, end_mark)  # the tag of what it stands for
        self.name = name


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, composing nodes only (nothing is constructed), within bounds:
    the composer recurses once per nesting level, and keeps every alias as an _Alias."""

    def __init__(self, text: str):
        super().__init__(text)
        self.depth = self.aliases = self.nodes = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.get_event()
            if event.anchor not in self.anchors:
                raise yaml.composer.ComposerError(None, None, f"found undefined alias {event.anchor!r}",
                                                  event.start_mark)
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise _Refused(*_at(event.start_mark), "yaml", f"more than {MAX_ALIASES:,} aliases")
            return _Alias(self.anchors[event.anchor], event.anchor, event.start_mark, event.end_mark)
        self.nodes += 1
        if self.nodes > MAX_VALUES:
            raise _Refused(*_at(self.peek_event().start_mark), "file",
                           f"the plan holds more than {MAX_VALUES:,} values")
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(*_at(self.peek_event().start_mark), "yaml",
                           f"nested more than {MAX_DEPTH} levels deep")
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def line_column(text: str, index: int) -> tuple[int, int]:
    """Where text[index] is, counted as PyYAML counts its marks (\\r\\n, \\r, NEL and
    U+2028/9 break lines; a byte-order mark takes no column)."""
    before = text[:index]
    breaks = list(_BREAK.finditer(before))
    start = breaks[-1].end() if breaks else 0
    return len(breaks) + 1, len(before[start:].replace("\ufeff", "")) + 1


def _at(mark: Mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


def _target(node: yaml.Node) -> yaml.Node:
    return node.value if isinstance(node, _Alias) else node


class Document:
    """YAML parsed into plain data plus the line and column of every value and key."""

    def __init__(self, text: str, filename: str):
        self.text, self.filename = text, filename
        self.problems: list[Problem] = []
        self.places: dict[Path_, tuple[int, int]] = {(): (1, 1)}
        self.key_places: dict[Path_, tuple[int, int]] = {}

    # -- reporting ---------------------------------------------------------------------
    def report(self, where: Path_, message: str, at_key: bool = False) -> None:
        line, column = self.place(where, at_key)
        self.problems.append(Problem(self.filename, line, column, dotted(where), message))

    def place(self, where: Path_, at_key: bool = False) -> tuple[int, int]:
        if at_key and where in self.key_places:
            return self.key_places[where]
        while where not in self.places:
            where = where[:-1]
        return self.places[where]

    def _fail(self, line: int, column: int, field: str, message: str) -> PlanError:
        return PlanError([Problem(self.filename, line, column, field, message)])

    # -- reading -----------------------------------------------------------------------
    def read(self):
        """The plan's data; a PlanError when the file cannot be read as a plan's YAML."""
        if len(self.text) > MAX_CHARS:
            raise self._fail(1, 1, "file", f"the plan is {len(self.text):,} characters long: "
                             f"at most {MAX_CHARS:,}")
        self._refuse_unprintable()
        root = self._compose()
        if root is None:
            raise self._fail(1, 1, "file", "the plan is empty")
        try:
            self._measure(root)
            data = self._value(root, ())
        except _Refused as refused:
            raise self._fail(*refused.place, refused.field, refused.message) from None
        if self._fatal:
            raise PlanError(self.problems)
        return data

    def _refuse_unprintable(self) -> None:
        """Raw control characters (and the few others YAML refuses), each located: PyYAML
        would stop at the first with no line or column."""
        found: list[Problem] = []
        for match in _NOT_PRINTABLE.finditer(self.text):
            if len(found) == MAX_CONTROL_REPORTS:
                found.append(Problem(self.filename, *self._line_column(match.start()), "yaml",
                                     "more characters that a plan cannot hold follow"))
                break
            char = match.group()
            found.append(Problem(self.filename, *self._line_column(match.start()), "yaml",
                                 f"character U+{ord(char):04X} ({char!r}) cannot be written in a plan "
                                 "(write it as an escape in a double-quoted string)"))
        if found:
            raise PlanError(found)

    def _line_column(self, index: int) -> tuple[int, int]:
        return line_column(self.text, index)

    def _compose(self) -> yaml.Node | None:
        loader = _Loader(self.text)
        try:
            return loader.get_single_node()
        except _Refused as refused:
            raise self._fail(*refused.place, refused.field, refused.message) from None
        except yaml.reader.ReaderError as exc:
            raise self._fail(*self._line_column(exc.position), "yaml", exc.reason) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            line, column = _at(mark) if mark else (1, 1)
            problem = getattr(exc, "problem", None) or str(exc)
            raise self._fail(line, column, "yaml", problem) from None
        finally:
            loader.dispose()

    # -- bounds ------------------------------------------------------------------------
    def _measure(self, root: yaml.Node) -> None:
        """How many values, characters of text and levels each node expands to, every node
        measured once (without recursion), so that aliases that multiply the plan, or
        refer to a value holding them, are refused before anything is expanded."""
        size: dict[int, tuple[int, int, int]] = {}  # id -> (values, characters, depth)
        on_path: set[int] = set()
        stack = [(root, False)]
        while stack:
            node, done = stack.pop()
            key = id(node)
            if done:
                on_path.discard(key)
                parts = [size.get(id(child), (0, 0, 0)) for child in _children(node)]
                own = 0 if isinstance(node, _Alias) else 1
                size[key] = (own + sum(p[0] for p in parts),
                             len(node.value) if isinstance(node, yaml.ScalarNode) else sum(p[1] for p in parts),
                             own + max((p[2] for p in parts), default=0))
                continue
            if key in size:
                continue
            if key in on_path:
                continue  # met again below itself: reported by the walk, which knows where
            on_path.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node) if id(child) not in size)
        values, chars, depth = size.get(id(root), (0, 0, 0))
        if values > MAX_VALUES:
            raise self._too_big(root, size, 0, f"values, once its aliases are expanded: at most {MAX_VALUES:,}")
        if chars > MAX_CHARS:
            raise self._too_big(root, size, 1,
                                f"characters of text, once its aliases are expanded: at most {MAX_CHARS:,}")
        if depth > MAX_DEPTH:
            raise self._too_big(root, size, 2, f"levels deep, once its aliases are expanded: at most {MAX_DEPTH}")

    def _too_big(self, root, size, part: int, what: str) -> _Refused:
        """Refused at the first alias on the way to the bulk of the plan (or at its top)."""
        node, where, total = root, (), size[id(root)][part]
        while not isinstance(node, _Alias):
            options = [(size.get(id(child), (0, 0, 0))[part], step, child) for step, child in _steps(node)]
            if not options:  # not reached: the composer counted what the file holds itself
                return _Refused(1, 1, "file", f"the plan holds {total:,} {what}")
            _, step, node = max(options, key=lambda option: option[0])
            where += step
        line, column = _at(node.start_mark)
        return _Refused(line, column, dotted(where),
                        f"alias *{node.name} makes the plan {total:,} {what}")

    # -- values ------------------------------------------------------------------------
    _fatal = False

    def _problem(self, node: yaml.Node, where: Path_, message: str) -> None:
        """A value that cannot be read: reported, and the schema is not checked (it would
        only add a second problem at the same place)."""
        self._fatal = True
        self.problems.append(Problem(self.filename, *_at(node.start_mark), dotted(where), message))

    def _value(self, node: yaml.Node, where: Path_, through: tuple[int, ...] = ()):
        self.places[where] = _at(node.start_mark)
        reference = node
        node = _target(node)
        if id(node) in through:
            self._problem(reference, where, f"alias *{reference.name} refers to a value that holds it"
                          if isinstance(reference, _Alias) else "a merge brings in a value that holds it")
            return None
        through = (*through, id(node))
        if isinstance(node, yaml.MappingNode):
            if node.tag != MAP:
                self._problem(node, where, _unknown_tag(node.tag))
            result = {}
            for key, key_node, value_node, merged in self._pairs(node, where, through):
                here = (*where, key)
                if not merged or here not in self.key_places:
                    self.key_places[here] = _at(key_node.start_mark)
                result[key] = self._value(value_node, here, through)
            return result
        if isinstance(node, yaml.SequenceNode):
            if node.tag != SEQ:
                self._problem(node, where, _unknown_tag(node.tag))
            return [self._value(item, (*where, i), through) for i, item in enumerate(node.value)]
        if not isinstance(node, yaml.ScalarNode):  # not reached: the composer makes only these three
            raise TypeError(f"not a YAML node: {node!r}")
        return self._scalar(node, where)

    def _pairs(self, node: yaml.MappingNode, where: Path_, through: tuple[int, ...], quiet: bool = False):
        """The mapping's (key, key node, value node, merged) in order: its own keys, then
        those its merge keys bring that it does not have (an earlier merge wins). A merged
        mapping's own problems are `quiet`: they are reported where it is written."""
        own: dict = {}  # key -> its pair; a duplicate takes the earlier one's place at the end
        merges = []
        for key_node, value_node in node.value:
            target = _target(key_node)
            if isinstance(target, yaml.ScalarNode) and target.tag == MERGE:
                merges.append(value_node)
                continue
            key = self._key(key_node, where, quiet)
            if key is None:
                continue
            if key in own:
                if not quiet:
                    self.key_places[(*where, key)] = _at(key_node.start_mark)
                    self.report((*where, key), f"duplicate key {shown(key)}", at_key=True)
                del own[key]
            own[key] = (key, key_node, value_node, False)
        for value_node in merges:
            for source in self._merge_sources(value_node, where, through, quiet):
                for key, source_key, source_value, _ in self._pairs(source, where, (*through, id(source)), True):
                    if key not in own:
                        own[key] = (key, source_key, source_value, True)
        return list(own.values())

    def _merge_sources(self, value_node: yaml.Node, where: Path_, through: tuple[int, ...], quiet: bool):
        """The mappings a merge key names: one mapping, or a list of them."""
        target = _target(value_node)
        items = target.value if isinstance(target, yaml.SequenceNode) else [value_node]
        sources = []
        for item in items:
            mapping = _target(item)
            if id(mapping) in through:
                if not quiet:
                    self._problem(item, where, "a merge key (<<) cannot bring in a mapping that holds it")
            elif isinstance(mapping, yaml.MappingNode):
                sources.append(mapping)
            elif not quiet:
                self._problem(item, where, "a merge key (<<) takes a mapping or a list of mappings, "
                              "like <<: *defaults or <<: [*a, *b]")
        return sources

    def _key(self, key_node: yaml.Node, where: Path_, quiet: bool = False) -> str | None:
        """A key is a plain value, read as the text written (`1:` is the key '1')."""
        node = _target(key_node)
        if not isinstance(node, yaml.ScalarNode):
            kind = "list" if isinstance(node, yaml.SequenceNode) else "mapping"
            message = f"a key must be a plain name, not a {kind}"
        elif node.tag not in _SCALAR_TAGS:
            message = _unknown_tag(node.tag)
        elif not _text_ok(node.value):
            message = "a key holds a lone surrogate: it is not valid UTF-8 text"
        else:
            return node.value
        if not quiet:
            self._problem(key_node, where, message)
        return None

    def _scalar(self, node: yaml.ScalarNode, where: Path_):
        tag, text = node.tag, node.value
        if tag not in _SCALAR_TAGS:
            self._problem(node, where, _unknown_tag(tag))
            return None
        if tag != STR and not _FORMS[tag].match(text):
            self._problem(node, where, f"{shown(text)} is not a valid {_tag(tag)}")
            return None
        if tag in (STR, MERGE, VALUE):  # `<<` and `=` as values are text
            if not _text_ok(text):
                self._problem(node, where, "the text holds a lone surrogate: it is not valid UTF-8")
                return None
            return text
        if tag == NULL:
            return None
        if tag == BOOL:
            return SafeConstructor.bool_values[text.lower()]
        if tag == TIMESTAMP:
            try:
                return SafeConstructor.construct_yaml_timestamp(_CONSTRUCTOR, node)
            except (ValueError, OverflowError, AttributeError, TypeError) as exc:
                kind = "date" if len(text) <= 10 else "time"
                self._problem(node, where, f"no such {kind} {shown(text)}: {exc}")
                return None
        if len(text) > MAX_NUMBER_CHARS:
            self._problem(node, where, f"number {shown(text, 20)} is out of range")
            return None
        try:
            construct = SafeConstructor.construct_yaml_int if tag == INT else SafeConstructor.construct_yaml_float
            number = construct(_CONSTRUCTOR, node)
        except ValueError:
            self._problem(node, where, f"{shown(text)} is not a valid {_tag(tag)}")
            return None
        if isinstance(number, float) and math.isnan(number):
            self._problem(node, where, f"{shown(text)} is not a number: write a finite number")
        elif isinstance(number, float) and math.isinf(number) and text.lstrip("+-").lower() == ".inf":
            self._problem(node, where, f"{shown(text)} is not a finite number")
        elif math.isinf(number) or abs(number) > MAX_INT:
            self._problem(node, where, f"number {shown(text, 20)} is out of range")
        else:
            return number
        return None


_CONSTRUCTOR = SafeConstructor()


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, _Alias):
        return [node.value]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _steps(node: yaml.Node):
    """(the path step, the child) of a collection's values, for locating a problem."""
    if isinstance(node, yaml.SequenceNode):
        return [((i,), item) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        steps = []
        for key_node, value_node in node.value:
            key = _target(key_node)
            name = key.value if isinstance(key, yaml.ScalarNode) else "?"
            steps.append(((), value_node) if key.tag == MERGE else ((name,), value_node))
        return steps
    return []


def _text_ok(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _tag(tag: str | None) -> str:
    tag = tag or "?"
    return "!!" + tag[len(_YAML):] if tag.startswith(_YAML) else tag


def _unknown_tag(tag: str | None) -> str:
    return (f"unknown tag {shown(_tag(tag))}: a plan holds only text, numbers, true/false, dates, "
            "lists and mappings")

