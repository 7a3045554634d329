"""The Content-Security-Policy header (django-csp), with the AWS origins of the settings in force.

settings.CONTENT_SECURITY_POLICY holds what never changes in a process ('self' and the CDN).
Photos and the admin's direct uploads go to S3, whose origins follow AWS_ENDPOINT_URL,
AWS_S3_CUSTOM_DOMAIN and MEDIA_BUCKET: they are read here when each answer is built, so the
policy always allows exactly the places the storage and the presigned POSTs point at.
"""

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def aws_sources() -> dict[str, list[str]]:
    """Where pages load photos from, and where the admin's browser POSTs photo uploads."""
    images = []
    if getattr(settings, "AWS_S3_CUSTOM_DOMAIN", None):
        host = settings.AWS_S3_CUSTOM_DOMAIN.split("/", 1)[0]
        images.append(f"{settings.AWS_S3_URL_PROTOCOL}//{host}")
    if settings.AWS_ENDPOINT_URL:
        uploads = [origin(settings.AWS_ENDPOINT_URL)]
    elif settings.MEDIA_BUCKET:
        # boto3 presigns POSTs for the bucket's global virtual-hosted name; S3 redirects a bucket
        # younger than a day outside us-east-1 to its regional name, which the browser follows.
        bucket, region = settings.MEDIA_BUCKET, settings.AWS_REGION
        uploads = [f"https://{bucket}.s3.amazonaws.com", f"https://{bucket}.s3.{region}.amazonaws.com"]
    else:
        uploads = []
    return {"img-src": images, "connect-src": uploads}


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, adding aws_sources() to the policy of settings."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only:
            update = dict(parts.update or {})
            for directive, sources in aws_sources().items():
                update[directive] = [*sources, *update.get(directive, [])]
            parts.update = update
        return parts
