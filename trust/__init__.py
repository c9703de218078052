"""trust: the psychometric engine of the team-trust survey (NumPy and SciPy only).

Pure functions over arrays; nothing here knows about Flask or SQL. One statistic
family per module: scoring (reverse-keying, scale scores), reliability (alpha,
omega, item-total r), agreement (rwg(j)), multilevel (ICC), descriptives (team
means with intervals), estimation (trust model), change (between waves, difference
in differences); analysis runs them all on one wave and table reads survey CSVs.
"""

from trust._common import DegenerateDataWarning
from trust.agreement import RwgResult, rwg_j, uniform_null_variance
from trust.analysis import analyze
from trust.change import (
    DiDResult,
    TeamChange,
    difference_in_differences,
    hedges_correction,
    team_change,
)
from trust.descriptives import TeamSummary, team_summary
from trust.distribution import CAMP_MIN_SHARE, score_distribution, two_camps
from trust.estimation import (
    DEFAULT_WEIGHTS,
    DriverGaps,
    RegressionFit,
    TrustEstimate,
    TrustModel,
    default_trust_model,
    estimate_trust,
    fit_trust_model,
    rank_driver_gaps,
)
from trust.instrument import (
    Instrument,
    InstrumentError,
    Item,
    ResponseScale,
    Scale,
    load_instrument,
    parse_instrument,
)
from trust.multilevel import ICCResult, team_icc
from trust.reliability import (
    AlphaResult,
    OmegaResult,
    cronbach_alpha,
    item_total_correlations,
    mcdonald_omega,
)
from trust.scoring import reverse_key, scale_scores
from trust.table import (
    SurveyTable,
    SurveyTableError,
    analysis_csv,
    is_whole_number,
    read_survey_csv,
)

__all__ = [
    "CAMP_MIN_SHARE",
    "DEFAULT_WEIGHTS",
    "AlphaResult",
    "DegenerateDataWarning",
    "DiDResult",
    "DriverGaps",
    "ICCResult",
    "Instrument",
    "InstrumentError",
    "Item",
    "OmegaResult",
    "RegressionFit",
    "ResponseScale",
    "RwgResult",
    "Scale",
    "SurveyTable",
    "SurveyTableError",
    "TeamChange",
    "TeamSummary",
    "TrustEstimate",
    "TrustModel",
    "analysis_csv",
    "analyze",
    "cronbach_alpha",
    "default_trust_model",
    "difference_in_differences",
    "estimate_trust",
    "fit_trust_model",
    "hedges_correction",
    "item_total_correlations",
    "load_instrument",
    "mcdonald_omega",
    "parse_instrument",
    "rank_driver_gaps",
    "is_whole_number",
    "read_survey_csv",
    "reverse_key",
    "rwg_j",
    "scale_scores",
    "score_distribution",
    "team_change",
    "team_icc",
    "team_summary",
    "two_camps",
    "uniform_null_variance",
]
