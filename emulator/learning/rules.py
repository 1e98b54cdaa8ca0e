"""Learning-rule grammar (Loihi style) -> a validated, encoded program.

A rule is a sum of products with power-of-two scales::

    rule   := [LHS "="] ["-"] term (("+" | "-") term)*      LHS: "dw" (weight rule) or "dt" (tag rule)
    term   := factor ("*" factor)*
    factor := "2^" ["-"] INT      a power-of-two scale, -8..7 (at most one per term)
            | INT                  an integer constant, 1..127
            | VARIABLE             x0 y0 x1 x2 y1 y2 y3 w r t

    x0, y0   1 if the pre (input-axon row) / post neuron spiked this learning epoch, else 0
    x1, x2   pre traces of the synapse's input-axon row (7-bit, 0..127)
    y1..y3   post traces of the synapse's target neuron (7-bit)
    w        the synapse's signed weight mantissa
    r        the third factor of the target neuron (reward / teacher, signed 8-bit)
    t        the synapse's signed tag (eligibility trace, TAG_BITS), changed by the rule's tag
             program ``dt = ...`` (same grammar) at the same epochs as the weight

e.g. ``dw = 2^-2*x1*y0 - 2^-2*y1*x0``. Each term is at most MAX_FACTORS
variables. The encoded program is an int32 array ``(terms, TERM_WORDS)``:
``[signed constant, scale exponent, factor codes...]`` (code 0 = the constant 1),
what the chip's learning engine stores per rule and the kernel
``emulator.learning.kernels.rule_dw`` interprets:

    acc = sum_terms  const * prod(factors) << (8 + exp)     (int64, exact)
    dw  = (acc + rnd8) >> 8                                (stochastic rounding)
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..errors import NeuroemuError
from .fixed import SCALE_EXP_MAX, SCALE_EXP_MIN

VARIABLES = ("x0", "x1", "x2", "y0", "y1", "y2", "y3", "w", "r", "t")
VAR_CODE = {name: i + 1 for i, name in enumerate(VARIABLES)}   #: 0 encodes the constant 1
MAX_TERMS = 8          #: terms per rule (program memory rows)
MAX_FACTORS = 4        #: variables per term
TERM_WORDS = 2 + MAX_FACTORS
CONST_MAX = 127        #: largest integer constant of a term (7-bit)

_TOKEN = re.compile(r"\s*(?:(?P<pow>2\^)|(?P<int>\d+)|(?P<name>[A-Za-z_]\w*)|(?P<op>[-+*=])|(?P<bad>\S))")


class RuleError(NeuroemuError):
    """A learning rule that does not parse or validate; the message points at the token."""

    def __init__(self, text: str, pos: int, message: str):
        self.text, self.pos = text, pos
        super().__init__(f"{message}\n  {text}\n  {' ' * pos}^")


@dataclass(frozen=True)
class Term:
    const: int                  #: signed integer constant (the term's sign lives here)
    exp: int                    #: power-of-two scale
    factors: tuple[str, ...]    #: variables, in the order written


@dataclass(frozen=True)
class Rule:
    text: str
    terms: tuple[Term, ...]

    def encode(self) -> np.ndarray:
        """The program as an int32 array (MAX_TERMS, TERM_WORDS); unused rows have const 0."""
        prog = np.zeros((MAX_TERMS, TERM_WORDS), np.int32)
        for i, t in enumerate(self.terms):
            prog[i, 0], prog[i, 1] = t.const, t.exp
            for k, f in enumerate(t.factors):
                prog[i, 2 + k] = VAR_CODE[f]
        return prog

    @property
    def variables(self) -> set:
        return {f for t in self.terms for f in t.factors}


def _tokens(text: str):
    pos = 0
    out = []
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:       # only trailing whitespace is left
            break
        kind = m.lastgroup
        start = m.start(kind)
        if kind == "bad":
            raise RuleError(text, start, f"unexpected character {m.group(kind)!r}")
        out.append((kind, m.group(kind), start))
        pos = m.end()
    out.append(("end", "", len(text.rstrip())))
    return out


def parse_rule(text: str, lhs: str = "dw") -> Rule:
    """Parse and validate ``text``; raise RuleError pointing at the offending token.

    ``lhs`` is the register the rule changes: ``dw`` (weight) or ``dt`` (tag); the text
    may start with ``LHS =``."""
    toks = _tokens(text)
    i = 0
    if len(toks) > 2 and toks[0][1] == lhs and toks[1][1] == "=":
        i = 2
    elif any(t[1] == "=" for t in toks):
        t = next(t for t in toks if t[1] == "=")
        raise RuleError(text, t[2], f"only '{lhs} =' may stand left of '='")
    terms = []
    sign = 1
    if toks[i][1] in "+-" and toks[i][0] == "op":
        sign = -1 if toks[i][1] == "-" else 1
        i += 1
    while True:
        term, i = _term(text, toks, i, sign)
        terms.append(term)
        kind, val, pos = toks[i]
        if kind == "end":
            break
        if val not in "+-" or kind != "op":
            raise RuleError(text, pos, f"expected '+', '-' or the end of the rule, got {val!r}")
        sign = -1 if val == "-" else 1
        i += 1
    if len(terms) > MAX_TERMS:
        raise RuleError(text, 0, f"{len(terms)} terms; the learning engine holds at most {MAX_TERMS}")
    return Rule(text, tuple(terms))


def _term(text, toks, i, sign):
    const, exp, factors, seen_scale = 1, 0, [], False
    start = toks[i][2]
    while True:
        kind, val, pos = toks[i]
        if kind == "pow":
            if seen_scale:
                raise RuleError(text, pos, "a term has at most one power-of-two scale")
            seen_scale = True
            neg = toks[i + 1][1] == "-" and toks[i + 1][0] == "op"
            j = i + 1 + neg
            if toks[j][0] != "int":
                raise RuleError(text, toks[j][2], "expected an integer exponent after '2^'")
            exp = -int(toks[j][1]) if neg else int(toks[j][1])
            if not SCALE_EXP_MIN <= exp <= SCALE_EXP_MAX:
                raise RuleError(text, pos, f"scale 2^{exp} is outside 2^{SCALE_EXP_MIN}..2^{SCALE_EXP_MAX}")
            i = j + 1
        elif kind == "int":
            c = int(val)
            if not 1 <= c * const <= CONST_MAX:
                raise RuleError(text, pos, f"constant {c * const} is outside 1..{CONST_MAX} (use a 2^k scale)")
            const *= c
            i += 1
        elif kind == "name":
            if val not in VAR_CODE:
                raise RuleError(text, pos, f"unknown variable {val!r}; valid: {', '.join(VARIABLES)}")
            if len(factors) == MAX_FACTORS:
                raise RuleError(text, pos, f"a term has at most {MAX_FACTORS} variables")
            factors.append(val)
            i += 1
        else:
            raise RuleError(text, pos, f"expected a variable, a constant or 2^k, got {val or 'the end'!r}")
        if toks[i][1] == "*" and toks[i][0] == "op":
            i += 1
            continue
        if toks[i][0] in ("pow", "int", "name"):
            raise RuleError(text, toks[i][2], "missing '*' between factors")
        break
    if not factors and not seen_scale and const == 1 and toks[i][2] == start:
        raise RuleError(text, start, "empty term")
    return Term(sign * const, exp, tuple(factors)), i
