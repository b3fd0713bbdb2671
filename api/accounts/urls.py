from django.urls import path

from accounts.apis import LogoutApi, RegisterApi, TokenApi

urlpatterns = [
    path("register/", RegisterApi.as_view(), name="register"),
    path("token/", TokenApi.as_view(), name="token"),
    path("logout/", LogoutApi.as_view(), name="logout"),
]
