from django import forms

from notifications.addresses import MAX_LENGTH, InvalidAddress, address_normalize


class SubscribeForm(forms.Form):
    # A CharField, not an EmailField: the address is checked (and CR/LF refused) by
    # address_normalize, the same rules as the API's.
    email = forms.CharField(
        label="Email address",
        max_length=MAX_LENGTH + 66,  # long enough to give the clearer "at most 254 characters" message
        strip=False,
        widget=forms.EmailInput(
            attrs={"id": "subscribe-email", "autocomplete": "email", "placeholder": "you@example.com"}
        ),
        error_messages={"required": "Enter an email address."},
    )

    def clean_email(self) -> str:
        try:
            return address_normalize(self.cleaned_data["email"])
        except InvalidAddress as exc:
            raise forms.ValidationError(str(exc)) from exc

    def full_clean(self) -> None:
        super().full_clean()
        if self.errors.get("email"):
            # Screen readers announce the message shown above the form with the field.
            self.fields["email"].widget.attrs.update({"aria-invalid": "true", "aria-describedby": "subscribe-error"})
