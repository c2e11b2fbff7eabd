"""The importer's score on the development corpus (tests/review_corpus/), held to the issue #21 targets.

Run `.venv/bin/python tests/review_corpus_score.py -v` to see every article's misses.
"""

from tests.review_corpus_score import CORPUS, score_corpus


def test_the_corpus_has_at_least_fifteen_articles_each_with_its_expectations():
    articles = sorted(CORPUS.glob("*.txt"))
    assert len(articles) >= 15
    assert all(path.with_suffix(".json").is_file() for path in articles)


def test_the_importer_meets_the_targets_on_the_corpus():
    totals, scores = score_corpus()
    misses = {score.name: score.misses for score in scores if score.misses}
    assert totals.spoiler_recall == 1.0, misses  # every ending section folded
    assert totals.over_folding <= 0.20, misses
    assert totals.boundaries >= 0.90, misses
    assert totals.heading_precision >= 0.85, misses
    assert totals.heading_recall >= 0.85, misses
    assert totals.junk_dropped >= 0.90, misses
    assert totals.excerpt_leaks == 0, misses
