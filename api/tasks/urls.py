from rest_framework.routers import SimpleRouter

from tasks.apis import TaskViewSet

# path converters (not regexes) so the route template reads `tasks/<uuid:pk>/`
router = SimpleRouter(use_regex_path=False)
router.register("tasks", TaskViewSet, basename="task")

urlpatterns = router.urls
