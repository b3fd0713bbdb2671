"""Task: one user's to-do item. Every query filters by owner first, hence the indexes."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Status(models.TextChoices):
    TODO = "TODO", "To do"
    IN_PROGRESS = "IN_PROGRESS", "In progress"
    DONE = "DONE", "Done"


class Priority(models.TextChoices):
    LOW = "LOW", "Low"
    MEDIUM = "MEDIUM", "Medium"
    HIGH = "HIGH", "High"


class Task(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tasks"
    )
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TODO)
    priority = models.CharField(max_length=16, choices=Priority.choices, default=Priority.MEDIUM)
    due_date = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # +1 on every write (services._write); the ETag, and what If-Match compares
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "status"], name="task_owner_status_idx"),
            models.Index(fields=["owner", "priority"], name="task_owner_priority_idx"),
            models.Index(fields=["owner", "created_at"], name="task_owner_created_idx"),
            models.Index(fields=["owner", "due_date"], name="task_owner_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="task_title_not_blank"),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="task_status_valid"),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="task_priority_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title
