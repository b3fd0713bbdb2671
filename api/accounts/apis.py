"""Register, obtain a token, log out. Register and token are throttled per client address."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.serializers import (
    RegisterInputSerializer,
    RegisterOutputSerializer,
    TokenInputSerializer,
    TokenOutputSerializer,
)
from accounts.services import token_for, token_revoke, user_register
from taskmgr.throttling import AuthRateThrottle


class _PublicAuthView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthRateThrottle]


class RegisterApi(_PublicAuthView):
    @extend_schema(request=RegisterInputSerializer, responses={201: RegisterOutputSerializer})
    def post(self, request):
        serializer = RegisterInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, token = user_register(**serializer.validated_data)
        body = RegisterOutputSerializer({"user": user, "token": token.key}).data
        return Response(body, status=status.HTTP_201_CREATED)


class TokenApi(_PublicAuthView):
    @extend_schema(request=TokenInputSerializer, responses=TokenOutputSerializer)
    def post(self, request):
        serializer = TokenInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token = token_for(user=serializer.validated_data["user"])
        return Response(TokenOutputSerializer({"token": token.key}).data)


class LogoutApi(APIView):
    """Revokes the token the request was made with."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)
