"""A granted attempt adds one attempt to the rep's allowance (it used to reset the count): the table gets its
name for that and records the allowance it made. Study sessions get a join link; a seat can be registered."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("enablement", "0003_certificationaward_updated_at_and_more"),
    ]

    operations = [
        migrations.RenameModel("QuizReset", "QuizAttemptGrant"),
        migrations.AlterModelOptions(name="quizattemptgrant", options={"ordering": ["-granted_at", "-id"]}),
        migrations.AlterField(
            model_name="quizattemptgrant",
            name="quiz",
            field=models.ForeignKey(on_delete=models.deletion.CASCADE, related_name="grants", to="enablement.quiz"),
        ),
        migrations.AddField(
            model_name="quizattemptgrant",
            name="attempts_allowed",
            field=models.PositiveSmallIntegerField(editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="quizattemptgrant",
            index=models.Index(fields=["quiz", "user", "-granted_at"], name="quiz_grant_latest"),
        ),
        migrations.AddField(
            model_name="studysession",
            name="join_url",
            field=models.URLField(blank=True, help_text="An http or https address. Shown to registered people from 30 minutes before the start until the end.",
                                  max_length=500, validators=[django.core.validators.URLValidator(schemes=["http", "https"])],
                                  verbose_name="join link"),
        ),
        migrations.AlterField(
            model_name="sessionseat",
            name="status",
            field=models.CharField(choices=[("invited", "Invited"), ("registered", "Registered"), ("attended", "Attended"),
                                            ("absent", "Absent")], default="invited", max_length=10),
        ),
    ]
