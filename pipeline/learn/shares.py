"""The shares and counts that decide what a site's furniture is: the thresholds of `pipeline.learn` in one table."""

from __future__ import annotations

import numpy as np

# Of the articles a learned template stands in, at most this share may have it
# inside the body.
MAX_INNER_SHARE = 0.1
# A template is kept with the output (and can be learned) once it stands at one
# edge of this many articles: ``boilerplate_min_pages`` is at least this.
KEPT_MIN_EDGE = 2
# The share of its site's articles a short line must stand at one edge of to be
# furniture. Measured (BENCHMARKS.md): the most common article line of a month
# of People's Daily, 核心阅读, opens 6.1% of its articles, 版式设计：<v> closes
# 2.3%, every other one under 1%; a site's own furniture stands on 9% to 100%
# of its pages (a variant a template era or a flavour of the site prints).
FURNITURE_SHARE = 0.1
# A sentence is furniture only when it stands at one edge of this share of its
# site's articles, and of this many times ``boilerplate_min_pages``: a
# disclaimer stands under nearly every page, while the closing sentence that
# several reports of one event share, or a quoted slogan, stands on few.
PROSE_SHARE = 0.2
PROSE_MIN_FACTOR = 2
# A template belongs to a flavour of its site (one of the portals a folder of
# reposts mixes, a template era of one site) when a furniture line of the site
# stands beside it on at least this share of its articles, far more often than
# chance would put it there: its share is then counted among that line's
# articles. A site's furniture that only one flavour prints stands on a large
# share of that flavour, however small the flavour; an article's line stands
# beside every flavour's lines as often as chance has it.
FLAVOUR_SHARE = 0.7
# ... and at least this many times as often as on the site's pages at large: a
# flavour is a part of its site, not a line a content-related marker (the
# bylines of the papers that print 核心阅读) happens to stand beside more often.
FLAVOUR_LIFT = 2.0
# How unlikely "far more often than chance" is: a binomial tail under 1e-5
# (Chernoff's bound, in nats). Five articles that all carry a line of a fifth of
# the site's pages are chance (1 in 3,000); nine that all carry a line of a
# tenth are not, nor seventeen that carry a line of half.
FLAVOUR_EVIDENCE = 11.5


def can_be_kept(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """Which templates stand at an edge of ``KEPT_MIN_EDGE`` articles or more (no other can be learned)."""
    return np.maximum(top, bottom) >= KEPT_MIN_EDGE


def template_key(scope: np.ndarray, template: np.ndarray) -> np.ndarray:
    """One uint64 per (scope, template): what counting groups on, and what learning looks templates up by.

    Template hashes are uniform 64-bit values: two pairs share a key with a
    chance of about n²/2⁶⁴.
    """
    with np.errstate(over="ignore"):
        return template.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) ^ scope.astype(np.uint64) * np.uint64(
            0xC2B2AE3D27D4EB4F
        )
