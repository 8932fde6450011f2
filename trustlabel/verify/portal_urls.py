app_name = "scans"
urlpatterns: list = []
