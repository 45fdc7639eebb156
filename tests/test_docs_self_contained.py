"""The documentation stands alone: docs/, README.md and the code's comments and docstrings name
no file that is not in the repository (design notes kept elsewhere, paths outside the
checkout) and send the reader to no issue for what a rule means: the rule is written here
(docs/decisions.md, docs/protocol.md), in our words.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = {".venv", ".venv-runtime", ".git", "var", "staticfiles", "node_modules", "phare.egg-info", "__pycache__"}

# A Markdown file named in prose: docs/x.md, ../y.md, Z.md.
MARKDOWN_FILE = re.compile(r"(?<![\w/.:-])((?:\.\./|\./)?[\w-]+(?:/[\w.-]+)*\.md)\b")
OUTSIDE = [
    (re.compile(r"\.\./shared|/work/"), "a path outside the repository"),
    (re.compile(r"\bthe issue(?!r)\b", re.I), "the issue: say what it asked instead"),
    (re.compile(r"\bissues? #?\d+", re.I), "an issue number: say what it decided instead"),
]


def _files(pattern: str):
    for path in sorted(ROOT.rglob(pattern)):
        if not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts):
            yield path


def documentation() -> list[tuple[Path, str]]:
    """The docs, the README, and the build files whose comments explain choices."""
    build = [ROOT / name for name in ("Makefile", "Dockerfile", "docker-compose.yml", "pyproject.toml")]
    return [(path, path.read_text()) for path in [ROOT / "README.md", *_files("docs/**/*.md"), *build]]


def python_prose() -> list[tuple[Path, str]]:
    """The comments and docstrings of every Python file of the repository (not its strings)."""
    found = []
    for path in _files("*.py"):
        if path == Path(__file__).resolve():
            continue
        source = path.read_text()
        parts = [token.string for token in tokenize.generate_tokens(io.StringIO(source).readline)
                 if token.type == tokenize.COMMENT]
        for node in ast.walk(ast.parse(source, filename=str(path))):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                docstring = ast.get_docstring(node, clean=False)
                if docstring:
                    parts.append(docstring)
        found.append((path, "\n".join(parts)))
    return found


def _exists(name: str, near: Path) -> bool:
    return any((base / name).is_file() for base in (ROOT, ROOT / "docs", near.parent))


def references_outside(texts: list[tuple[Path, str]]) -> list[str]:
    problems = []
    for path, text in texts:
        where = path.relative_to(ROOT)
        for line_number, line in enumerate(text.splitlines(), 1):
            for name in MARKDOWN_FILE.findall(line):
                if not _exists(name, path):
                    problems.append(f"{where}: {name} is not in the repository: {line.strip()[:100]}")
            for pattern, why in OUTSIDE:
                if pattern.search(line):
                    problems.append(f"{where}: {why}: {line.strip()[:100]}")
    return problems


def test_the_checks_find_what_they_look_for():
    sample = [(ROOT / "docs" / "x.md", "See FINDINGS.md, docs/protocol.md and ../shared/data; the issue\n"
                                       "asks (issue 8); the issuer signs; docs/decisions.md holds it.")]
    problems = references_outside(sample)
    assert len(problems) == 4, problems
    assert "FINDINGS.md is not in the repository" in problems[0]


def test_docs_readme_and_build_files_reference_nothing_outside_the_repository():
    problems = references_outside(documentation())
    assert not problems, "\n".join(problems)


def test_code_comments_and_docstrings_reference_nothing_outside_the_repository():
    problems = references_outside(python_prose())
    assert not problems, "\n".join(problems)
