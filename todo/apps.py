from django.apps import AppConfig


class TodoConfig(AppConfig):
    name = "todo"
    verbose_name = "MyToDoList"
    # No ready(): todo/schema.py's OpenAPI extension is imported by todo/urls.py, where the to-do
    # schema is built (the view and `manage.py spectacular --urlconf todo.urls`), not at every
    # start: it loads drf-spectacular's plumbing, rest_framework.test and unittest (cold start, issue 14).
