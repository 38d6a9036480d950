"""The shipped llama-server and its libraries hold no AVX-512 instruction (R-LLM-3; issue 20,
blocker 2): the workers are t2 instances, whose Xeons stop at AVX2, so an engine built with
GGML_NATIVE on an AVX-512 build host dies with SIGILL on its first inference."""

from __future__ import annotations

from pathlib import Path

from instruction_set import engine_files, evex_instructions


def test_the_worker_bundle_has_no_avx512_instruction(bundle: Path) -> None:
    files = engine_files(bundle)
    assert len(files) >= 2, f"llama-server and its libraries expected in the bundle: {files}"
    offenders = {}
    for path in files:
        count, examples = evex_instructions(path)
        if count:
            offenders[path.name] = (count, examples)
    assert not offenders, f"AVX-512 instructions in the shipped engine (t2 has AVX2 only): {offenders}"


def test_the_check_sees_avx512_where_there_is_some() -> None:
    """The detector itself: glibc's memcpy has EVEX variants (chosen at run time by CPUID)."""
    libc = Path("/lib/x86_64-linux-gnu/libc.so.6")
    count, examples = evex_instructions(libc)
    assert count > 0 and any("zmm" in line or "%k" in line for line in examples)
