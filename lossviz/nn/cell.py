"""``nn.Cell``: the building block of networks and losses.

Subclass it, create layers / ops / Parameters in ``__init__``, compute in
``construct``; calling the cell runs ``construct``. Parameters and sub-cells
are registered when assigned as attributes, and named by their path
(``fc.weight``) unless the parent was built with ``auto_prefix=False``.
"""
from .._engine.parameter import Parameter


class Cell:
    """Base class of every network, layer and loss.

    >>> class Net(Cell):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = Parameter(Tensor(2.0), name="w")
    ...     def construct(self, x):
    ...         return self.w * x
    """

    def __init__(self, auto_prefix=True, flags=None):
        object.__setattr__(self, "_params", {})
        object.__setattr__(self, "_cells", {})
        object.__setattr__(self, "_auto_prefix", auto_prefix)
        object.__setattr__(self, "training", False)

    def __setattr__(self, name, value):
        if "_params" not in self.__dict__ and isinstance(value, (Parameter, Cell)):
            raise AttributeError(f"For '{type(self).__name__}', call super().__init__() before assigning '{name}'.")
        if isinstance(value, Parameter):
            if value.name is None or value.name == "Parameter":
                value.name = name
            self._params[name] = value
            self._cells.pop(name, None)
        elif isinstance(value, Cell):
            if self._auto_prefix:
                for param in value.get_parameters():
                    param.name = f"{name}.{param.name}"
            self._cells[name] = value
            self._params.pop(name, None)
        elif name in self.__dict__.get("_params", ()) or name in self.__dict__.get("_cells", ()):
            self._params.pop(name, None)
            self._cells.pop(name, None)
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        self._params.pop(name, None)
        self._cells.pop(name, None)
        object.__delattr__(self, name)

    @property
    def cls_name(self):
        return type(self).__name__

    def construct(self, *inputs, **kwargs):
        raise NotImplementedError(f"For '{self.cls_name}', the method 'construct' is not defined.")

    def __call__(self, *inputs, **kwargs):
        return self.construct(*inputs, **kwargs)

    # ----- parameters and sub-cells -----
    def cells_and_names(self, cell_name=""):
        """Yield ``(name, cell)`` for this cell and every sub-cell, depth first."""
        seen = set()
        stack = [(cell_name, self)]
        while stack:
            name, cell = stack.pop(0)
            if id(cell) in seen:
                continue
            seen.add(id(cell))
            yield name, cell
            stack[0:0] = [(f"{name}.{child_name}" if name else child_name, child)
                          for child_name, child in cell._cells.items()]

    def cells(self):
        return list(self._cells.values())

    def name_cells(self):
        """The direct sub-cells as an ordered dict ``{attribute name: cell}``."""
        return dict(self._cells)

    def parameters_and_names(self, name_prefix="", expand=True):
        """Yield ``(name, parameter)`` for every Parameter, each once, in definition order."""
        seen = set()
        for _, cell in (self.cells_and_names() if expand else [("", self)]):
            for param in cell._params.values():
                if id(param) not in seen:
                    seen.add(id(param))
                    yield (f"{name_prefix}.{param.name}" if name_prefix else param.name), param

    def get_parameters(self, expand=True):
        """Yield every Parameter (a generator, as MindSpore's)."""
        for _, param in self.parameters_and_names(expand=expand):
            yield param

    def trainable_params(self, recurse=True):
        """The Parameters with ``requires_grad=True``, as a list."""
        return [p for p in self.get_parameters(expand=recurse) if p.requires_grad]

    def untrainable_params(self, recurse=True):
        return [p for p in self.get_parameters(expand=recurse) if not p.requires_grad]

    def parameters_dict(self):
        return {name: param for name, param in self.parameters_and_names()}

    def insert_child_to_cell(self, child_name, child_cell):
        setattr(self, child_name, child_cell)

    def set_train(self, mode=True):
        """Mark this cell and its sub-cells as training (or not); returns self."""
        for _, cell in self.cells_and_names():
            object.__setattr__(cell, "training", mode)
        return self

    def set_grad(self, requires_grad=True):
        return self

    # ----- printing -----
    def extend_repr(self):
        """The text inside ``Name<...>`` in the repr; layers override it."""
        return ""

    def __repr__(self):
        extra = self.extend_repr()
        if not self._cells:
            return f"{self.cls_name}<{extra}>"
        lines = [f"{self.cls_name}<{extra}"]
        for name, cell in self._cells.items():
            child = repr(cell).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child}")
        lines.append("  >")
        return "\n".join(lines)
