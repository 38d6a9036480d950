#!/usr/bin/env python3
"""Writes cefrpy's word list as `word<TAB>level` lines (level 1.00 = A1 … 6.00 = C2, the mean over
the word's parts of speech), the file the tutor's scores read (`cakap setup` runs this).

    export_word_levels.py <unpacked cefrpy wheel> <output.tsv>
"""
import os
import sys


def main() -> int:
    wheel, output = sys.argv[1], sys.argv[2]
    sys.path.insert(0, wheel)
    from cefrpy import CEFRAnalyzer  # noqa: E402 (the unpacked wheel is only importable now)

    analyzer = CEFRAnalyzer()
    temporary = output + ".part"
    count = 0
    with open(temporary, "w", encoding="utf-8") as out:
        for word in analyzer.yield_words():
            level = analyzer.get_average_word_level_float(word)
            if level is not None and "\t" not in word and "\n" not in word:
                out.write(f"{word}\t{level:.2f}\n")
                count += 1
    os.replace(temporary, output)  # never a half-written list
    print(f"{count} words → {output}")
    return 0 if count > 100_000 else 1


if __name__ == "__main__":
    sys.exit(main())
