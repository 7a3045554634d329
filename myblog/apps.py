from django.apps import AppConfig


class MyBlogConfig(AppConfig):
    name = "myblog"
    verbose_name = "MyBlog"
