from django.apps import AppConfig


class BlogConfig(AppConfig):
    # The label stays "myblog" (the app lived at myblog/ before): tables, migrations, content
    # types and permissions ("myblog.change_post") are all keyed by it.
    name = "myblog.blog"
    label = "myblog"
    verbose_name = "MyBlog"
