from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm

from .models import User


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ["phone", "display_name"]


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
