"""On-chip learning: traces, the rule grammar and compiler, built-in rules (docs/learning.md)."""
from .builtins import BUILTINS, builtin_rule, expand, expand_dt
from .fixed import TAG_MAX, TAG_MIN, TRACE_MAX
from .kernels import RULE_PARAMS
from .rules import MAX_FACTORS, MAX_TERMS, VARIABLES, Rule, RuleError, Term, parse_rule
from .schedule import Phase, use_rule, weight_entropy
from .spec import SIGN_BOUNDS, TRACE_NAMES, LearningSpec

__all__ = ["BUILTINS", "MAX_FACTORS", "MAX_TERMS", "RULE_PARAMS", "SIGN_BOUNDS", "TAG_MAX", "TAG_MIN", "TRACE_MAX",
           "TRACE_NAMES", "VARIABLES", "LearningSpec", "Phase", "Rule", "RuleError", "Term", "builtin_rule", "expand",
           "expand_dt", "parse_rule", "use_rule", "weight_entropy"]
