"""Writes of the enablement app, one verb per user action (see the modules for each concern)."""

from enablement.services.learning import (  # noqa: F401
    attempts_counted,
    certification_award,
    certifications_remind,
    check_course_open,
    current_award,
    module_complete,
    quiz_allow_retry,
    quiz_blocker,
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
from enablement.services.sessions import attendance_mark, session_invite, session_join, session_save  # noqa: F401
