"""Observability's own pages."""

from django.urls import path

from observability import views

urlpatterns = [path("rollbar/test", views.rollbar_test, name="rollbar-test")]
