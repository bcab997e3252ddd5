"""The page's template is compiled once and then loaded compiled (a daily run renders one page per process)."""

from __future__ import annotations

from pathlib import Path

import jinja2

from flightpipe.report import render


def test_the_compiled_template_is_kept_in_jinja2_s_cache_and_the_environment_is_shared() -> None:
    env = render._environment()
    assert render._environment() is env
    cache = env.bytecode_cache
    assert isinstance(cache, jinja2.FileSystemBytecodeCache)
    env.get_template("report.html.j2")
    assert list(Path(cache.directory).glob("__jinja2_*.cache"))
