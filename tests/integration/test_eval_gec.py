"""`cakap eval gec` (issue 5) on jfleg-dev with the real Harper: our GLEU and the Harper-only
corrector reproduce the reference figures of ../shared/data/README.md (unchanged source 0.382,
Harper only 0.440) on the tokenised file, within the spread of the random reference draws; the
tutor's own corrections (issue 18) are never below Harper alone."""

from __future__ import annotations

import re

from cakap_testing.data import eval_gec_on_jfleg


def test_gleu_of_unchanged_and_harper_only_match_the_reference_figures(tmp_path) -> None:
    text = eval_gec_on_jfleg(tmp_path, "--no-scored-edits")
    rows = {
        name: (float(plain), float(tokenised))
        for name, plain, tokenised in re.findall(r"^\| (.+?) \| (0\.\d+) \| (0\.\d+) \|$", text, re.M)
    }
    # The tokenised file fed as it is: the README's reference figures.
    assert abs(rows["unchanged source"][1] - 0.382) <= 0.003, rows
    harper = next(score for name, score in rows.items() if name.startswith("Harper only"))
    assert abs(harper[1] - 0.440) <= 0.003, rows
    # As a learner writes it (issue 18): the round trip leaves the source's score alone, and the
    # tutor's `corrected` is never below Harper alone.
    assert abs(rows["unchanged source"][0] - rows["unchanged source"][1]) <= 0.002, rows
    tutor = next(score for name, score in rows.items() if name.startswith("Harper + learner rules"))
    assert tutor[0] >= harper[0] and tutor[1] >= harper[1], rows
    assert "| Spelling |" in text and "754 sentences, 4 references" in text
    assert "| spelling | " in text and "| verb_form | " in text  # findings per category (issue 5)
