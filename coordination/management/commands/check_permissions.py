"""Compare object permission grants on items with their participations; --fix repairs."""

from django.core.management.base import BaseCommand
from django.db import transaction

from coordination.permissions_audit import audit_task_grants, repair_task_grants


class Command(BaseCommand):
    help = (
        "Kiểm tra quyền truy cập nhiệm vụ (django-guardian) có khớp với danh sách cơ quan tham "
        "gia hay không; với --fix thì cấp bổ sung quyền thiếu và thu hồi quyền thừa."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Sửa các sai lệch tìm thấy.")

    def handle(self, *args, **options):
        missing, extra = audit_task_grants()
        for task_id, group, codename in missing:
            self.stdout.write(f"THIẾU  nhiệm vụ {task_id}: {group} {codename}")
        for task_id, group, codename in extra:
            self.stdout.write(f"THỪA   nhiệm vụ {task_id}: {group} {codename}")
        if options["fix"] and (missing or extra):
            with transaction.atomic():
                repair_task_grants(missing, extra)
            self.stdout.write(self.style.SUCCESS(f"Đã sửa {len(missing) + len(extra)} sai lệch."))
        elif not (missing or extra):
            self.stdout.write(self.style.SUCCESS("Quyền truy cập khớp với danh sách tham gia."))
        else:
            self.stdout.write(f"{len(missing) + len(extra)} sai lệch; chạy lại với --fix để sửa.")
