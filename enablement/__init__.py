"""E-learning, quizzes, certifications, content library, study sessions, FAQ and announcements."""
