"""Recognition: leaderboards, MVP of the month, rookie of the year and badges.

periods (pure) and rules (pure) decide; selectors read the data set-based; services publish
awards. `badges_for(partner)` is what other pages include (templates/portal/_badges.html).
"""

from programs.recognition import periods, rules  # noqa: F401
from programs.recognition.rules import Badge  # noqa: F401
from programs.recognition.selectors import (  # noqa: F401
    Board,
    Standing,
    badges_by_partner,
    badges_for,
    leaderboard,
    leaderboard_for_partner,
)
