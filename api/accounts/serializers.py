from django.contrib.auth import authenticate, get_user_model
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from accounts.services import USERNAME_TAKEN

User = get_user_model()

BAD_CREDENTIALS = "Unable to log in with the provided username and password."


class RegisterInputSerializer(serializers.Serializer):
    username = serializers.RegexField(
        r"^[\w.@+-]+\Z",
        max_length=150,
        error_messages={"invalid": "Use only letters, digits and @/./+/-/_ characters."},
        validators=[UniqueValidator(User.objects.all(), message=USERNAME_TAKEN)],
    )
    email = serializers.EmailField()
    password = serializers.CharField(
        min_length=1, max_length=128, trim_whitespace=False, write_only=True
    )


class UserOutputSerializer(serializers.Serializer):
    username = serializers.CharField()
    email = serializers.EmailField()


class RegisterOutputSerializer(serializers.Serializer):
    user = UserOutputSerializer()
    token = serializers.CharField()


class TokenInputSerializer(serializers.Serializer):
    username = serializers.CharField(min_length=1, max_length=150)
    password = serializers.CharField(
        min_length=1, max_length=128, trim_whitespace=False, write_only=True
    )

    def validate(self, attrs):
        user = authenticate(
            request=self.context.get("request"),
            username=attrs["username"],
            password=attrs["password"],
        )
        if user is None:
            raise serializers.ValidationError(BAD_CREDENTIALS, code="authorization")
        attrs["user"] = user
        return attrs


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField()
