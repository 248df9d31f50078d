"""Pytrees: nested tuples, lists, dicts and None (JAX's containers), with
leaves everything else. Dicts flatten in sorted key order, as in JAX."""


class PyTreeDef:
    """The structure of a pytree: kind, aux data and children treedefs."""
    __slots__ = ("kind", "aux", "children", "num_leaves")

    def __init__(self, kind, aux, children):
        self.kind = kind          # "leaf", "none", "tuple", "list", "dict", "namedtuple"
        self.aux = aux            # dict keys / namedtuple class
        self.children = children
        self.num_leaves = 1 if kind == "leaf" else sum(c.num_leaves for c in children)

    def __eq__(self, other):
        return (isinstance(other, PyTreeDef) and self.kind == other.kind
                and self.aux == other.aux and self.children == other.children)

    def __hash__(self):
        return hash((self.kind, self.aux if not isinstance(self.aux, list) else tuple(self.aux),
                     tuple(self.children)))

    def __repr__(self):
        return "PyTreeDef(%s)" % self._str()

    def _str(self):
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        inner = ", ".join(c._str() for c in self.children)
        if self.kind == "tuple":
            return "(%s%s)" % (inner, "," if len(self.children) == 1 else "")
        if self.kind == "list":
            return "[%s]" % inner
        if self.kind == "dict":
            return "{%s}" % ", ".join("%r: %s" % (k, c._str())
                                      for k, c in zip(self.aux, self.children))
        return "%s(%s)" % (self.aux.__name__, inner)

    @property
    def num_nodes(self):
        return 1 + sum(c.num_nodes for c in self.children)


_LEAF = PyTreeDef("leaf", None, ())
_NONE = PyTreeDef("none", None, ())


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _flatten(x, leaves, is_leaf):
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return _LEAF
    if x is None:
        return _NONE
    if isinstance(x, tuple):
        kids = [_flatten(c, leaves, is_leaf) for c in x]
        if _is_namedtuple(x):
            return PyTreeDef("namedtuple", type(x), tuple(kids))
        return PyTreeDef("tuple", None, tuple(kids))
    if isinstance(x, list):
        return PyTreeDef("list", None, tuple(_flatten(c, leaves, is_leaf) for c in x))
    if isinstance(x, dict):
        keys = sorted(x.keys())
        kids = tuple(_flatten(x[k], leaves, is_leaf) for k in keys)
        return PyTreeDef("dict", tuple(keys), kids)
    leaves.append(x)
    return _LEAF


def tree_flatten(tree, is_leaf=None):
    """(leaves, treedef)."""
    leaves = []
    return leaves, _flatten(tree, leaves, is_leaf)


def tree_leaves(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[1]


def _build(td, it):
    k = td.kind
    if k == "leaf":
        return next(it)
    if k == "none":
        return None
    kids = [_build(c, it) for c in td.children]
    if k == "tuple":
        return tuple(kids)
    if k == "list":
        return kids
    if k == "dict":
        return dict(zip(td.aux, kids))
    return td.aux(*kids)


def tree_unflatten(treedef, leaves):
    leaves = list(leaves)
    if len(leaves) != treedef.num_leaves:
        raise ValueError("tree_unflatten: %d leaves given, the structure %r has %d"
                         % (len(leaves), treedef, treedef.num_leaves))
    return _build(treedef, iter(leaves))


def tree_map(f, tree, *rest, is_leaf=None):
    leaves, td = tree_flatten(tree, is_leaf)
    others = []
    for r in rest:
        rl, rtd = tree_flatten(r, is_leaf)
        if rtd != td:
            raise ValueError("tree_map: structures differ: %r and %r" % (td, rtd))
        others.append(rl)
    return tree_unflatten(td, [f(*xs) for xs in zip(leaves, *others)])


def treedef_children(td):
    return list(td.children)


def broadcast_prefix(prefix, tree, is_leaf=None):
    """Expands a pytree prefix of tree (e.g. vmap in_axes) into one entry per
    leaf of tree; a None entry in the prefix covers a whole subtree."""
    out = []

    def go(p, t):
        if p is None or not isinstance(p, (tuple, list, dict)):
            out.extend([p] * tree_structure(t, is_leaf).num_leaves)
            return
        if isinstance(p, dict):
            if not isinstance(t, dict) or sorted(p) != sorted(t):
                raise ValueError("prefix %r does not match the structure of %r" % (p, t))
            for k in sorted(p):
                go(p[k], t[k])
            return
        if not isinstance(t, (tuple, list)) or len(p) != len(t):
            raise ValueError("prefix %r does not match the structure of %r" % (p, t))
        for pc, tc in zip(p, t):
            go(pc, tc)

    go(prefix, tree)
    return out
