"""Writes of the enablement app, one verb per user action (see the modules for each concern)."""

from enablement.services.learning import (  # noqa: F401
    Allowance,
    attempts_counted,
    certification_award,
    certifications_remind,
    check_course_open,
    current_award,
    module_complete,
    quiz_allowance,
    quiz_blocker,
    quiz_grant_attempt,
    quiz_start,
    quiz_submit,
)
from enablement.services.library import (  # noqa: F401
    check_content_open,
    content_access_record,
    content_create,
    content_update,
    content_version_add,
)
from enablement.services.questions import (  # noqa: F401
    announcement_publish,
    announcement_read,
    faq_search,
    is_partner_manager,
    question_answer,
    question_ask,
    question_escalate,
    question_to_faq,
)
from enablement.services.sessions import (  # noqa: F401
    attendance_mark,
    join_url_for,
    session_cancel,
    session_invite,
    session_join,
    session_save,
)
