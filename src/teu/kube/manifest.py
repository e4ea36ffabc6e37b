"""Manifests in: YAML files (several documents each) read with PyYAML, each document
with the line it starts on, so an error can say file:line; invalid YAML is one line
with the file, line and column of the problem."""

from __future__ import annotations

from dataclasses import dataclass

from teu.kube.errors import KubeError


@dataclass
class Doc:
    obj: dict
    file: str
    line: int

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind") or "")

    @property
    def name(self) -> str:
        return str((self.obj.get("metadata") or {}).get("name") or "")

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def parse(text: str, file: str) -> list[Doc]:
    """The documents of one YAML stream (empty ones skipped); KubeError on bad YAML or a
    document that is not a Kubernetes object."""
    import yaml

    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(text)
    out = []
    try:
        while loader.check_node():
            node = loader.get_node()
            line = node.start_mark.line + 1
            obj = loader.construct_document(node)
            if obj is None:
                continue
            if not isinstance(obj, dict):
                raise KubeError(f"{file}:{line}: a document must be a mapping (a Kubernetes "
                                f"object), not a {type(obj).__name__}")
            for key in ("apiVersion", "kind"):
                if not obj.get(key):
                    raise KubeError(f"{file}:{line}: the document has no {key}")
            if obj["kind"] == "List":  # kubectl's v1 List: its items, in order
                for i, item in enumerate(obj.get("items") or []):
                    if not isinstance(item, dict) or not item.get("kind") \
                            or not item.get("apiVersion"):
                        raise KubeError(f"{file}:{line}: List item {i} is not a Kubernetes "
                                        "object")
                    out.append(Doc(item, file, line))
                continue
            out.append(Doc(obj, file, line))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else file
        problem = getattr(e, "problem", None) or str(e)
        raise KubeError(f"{where}: invalid YAML: {problem}") from None
    finally:
        loader.dispose()
    return out


def read(path: str, stdin=None) -> list[Doc]:  # noqa: ANN001 - a text stream for "-"
    if path == "-":
        import sys

        return parse((stdin or sys.stdin).read(), "<stdin>")
    try:
        with open(path, encoding="utf-8") as f:
            return parse(f.read(), path)
    except OSError as e:
        raise KubeError(f"{path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise KubeError(f"{path}: not UTF-8 text") from None
