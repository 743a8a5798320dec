"""The server's own words in transcripts and e-mails, per language (en, es, de, pl, fr).

The clients' words live in client/locales; these few are the ones the server writes itself
(a printable transcript, an e-mailed answer). `words(language)` picks by the primary subtag of
a visitor's language (`es-AR` → `es`) and falls back to English.
"""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Conversation with {shop}",
        "opened": "Conversation started",
        "accepted": "{name} joined the conversation",
        "transferred": "Handed over to {name}",
        "requeued": "Back in the queue for the next agent",
        "closed": "Conversation closed",
        "rated": "Rated {score} of 5",
        "joined_pin": "{name} joined with a phone PIN",
        "uploaded_image": "{name} sent a photo",
        "uploaded_video": "{name} sent a video",
        "shown": "{name} showed {title}",
        "shown_untitled": "{name} showed a picture",
        "annotated": "(marks drawn: {count})",
        "note": "Internal note (agents only)",
        "offline_subject": "{shop}: an answer to your message",
        "greeting": "Hello {name},",
        "greeting_anonymous": "Hello,",
        "offline_intro": "{shop} answered the message you left:",
        "offline_outro": "You can also read it and write back in the chat on our site.",
        "transcript_subject": "{shop}: your conversation",
        "transcript_intro": "Here is a copy of your conversation with {shop}.",
        "why": "You get this e-mail because you gave this address in the chat of {shop}.",
    },
    "es": {
        "title": "Conversación con {shop}",
        "opened": "Conversación iniciada",
        "accepted": "{name} se unió a la conversación",
        "transferred": "Transferida a {name}",
        "requeued": "De vuelta en la cola para el siguiente agente",
        "closed": "Conversación cerrada",
        "rated": "Valorada con {score} de 5",
        "joined_pin": "{name} se unió con un PIN telefónico",
        "uploaded_image": "{name} envió una foto",
        "uploaded_video": "{name} envió un vídeo",
        "shown": "{name} mostró {title}",
        "shown_untitled": "{name} mostró una imagen",
        "annotated": "(marcas dibujadas: {count})",
        "note": "Nota interna (solo agentes)",
        "offline_subject": "{shop}: respuesta a tu mensaje",
        "greeting": "Hola, {name}:",
        "greeting_anonymous": "Hola:",
        "offline_intro": "{shop} ha respondido al mensaje que dejaste:",
        "offline_outro": "También puedes leerla y contestar en el chat de nuestra web.",
        "transcript_subject": "{shop}: tu conversación",
        "transcript_intro": "Aquí tienes una copia de tu conversación con {shop}.",
        "why": "Recibes este correo porque diste esta dirección en el chat de {shop}.",
    },
    "de": {
        "title": "Unterhaltung mit {shop}",
        "opened": "Unterhaltung begonnen",
        "accepted": "{name} ist der Unterhaltung beigetreten",
        "transferred": "An {name} übergeben",
        "requeued": "Zurück in der Warteschlange für den nächsten Mitarbeiter",
        "closed": "Unterhaltung beendet",
        "rated": "Mit {score} von 5 bewertet",
        "joined_pin": "{name} ist mit einer Telefon-PIN beigetreten",
        "uploaded_image": "{name} hat ein Foto gesendet",
        "uploaded_video": "{name} hat ein Video gesendet",
        "shown": "{name} hat {title} gezeigt",
        "shown_untitled": "{name} hat ein Bild gezeigt",
        "annotated": "(Markierungen: {count})",
        "note": "Interne Notiz (nur Mitarbeiter)",
        "offline_subject": "{shop}: eine Antwort auf Ihre Nachricht",
        "greeting": "Hallo {name},",
        "greeting_anonymous": "Hallo,",
        "offline_intro": "{shop} hat auf Ihre Nachricht geantwortet:",
        "offline_outro": "Sie können die Antwort auch im Chat auf unserer Website lesen und "
        "beantworten.",
        "transcript_subject": "{shop}: Ihre Unterhaltung",
        "transcript_intro": "Hier ist eine Kopie Ihrer Unterhaltung mit {shop}.",
        "why": "Sie erhalten diese E-Mail, weil Sie diese Adresse im Chat von {shop} "
        "angegeben haben.",
    },
    "pl": {
        "title": "Rozmowa z {shop}",
        "opened": "Rozpoczęto rozmowę",
        "accepted": "{name} dołączył(a) do rozmowy",
        "transferred": "Przekazano do: {name}",
        "requeued": "Z powrotem w kolejce do następnego konsultanta",
        "closed": "Rozmowa zakończona",
        "rated": "Ocena: {score} z 5",
        "joined_pin": "{name} dołączył(a) kodem PIN z telefonu",
        "uploaded_image": "{name} wysłał(a) zdjęcie",
        "uploaded_video": "{name} wysłał(a) film",
        "shown": "{name} pokazał(a): {title}",
        "shown_untitled": "{name} pokazał(a) obraz",
        "annotated": "(narysowane znaki: {count})",
        "note": "Notatka wewnętrzna (tylko konsultanci)",
        "offline_subject": "{shop}: odpowiedź na Twoją wiadomość",
        "greeting": "Dzień dobry, {name},",
        "greeting_anonymous": "Dzień dobry,",
        "offline_intro": "{shop} odpowiedział(a) na wiadomość, którą zostawiłeś(-aś):",
        "offline_outro": "Możesz ją też przeczytać i odpisać na czacie na naszej stronie.",
        "transcript_subject": "{shop}: Twoja rozmowa",
        "transcript_intro": "Oto kopia Twojej rozmowy z {shop}.",
        "why": "Otrzymujesz tę wiadomość, bo podałeś(-aś) ten adres na czacie {shop}.",
    },
    "fr": {
        "title": "Conversation avec {shop}",
        "opened": "Conversation commencée",
        "accepted": "{name} a rejoint la conversation",
        "transferred": "Transférée à {name}",
        "requeued": "De retour dans la file pour le prochain conseiller",
        "closed": "Conversation terminée",
        "rated": "Note : {score} sur 5",
        "joined_pin": "{name} a rejoint avec un code PIN téléphonique",
        "uploaded_image": "{name} a envoyé une photo",
        "uploaded_video": "{name} a envoyé une vidéo",
        "shown": "{name} a montré {title}",
        "shown_untitled": "{name} a montré une image",
        "annotated": "(annotations : {count})",
        "note": "Note interne (conseillers uniquement)",
        "offline_subject": "{shop} : une réponse à votre message",
        "greeting": "Bonjour {name},",
        "greeting_anonymous": "Bonjour,",
        "offline_intro": "{shop} a répondu au message que vous avez laissé :",
        "offline_outro": "Vous pouvez aussi la lire et répondre dans le chat de notre site.",
        "transcript_subject": "{shop} : votre conversation",
        "transcript_intro": "Voici une copie de votre conversation avec {shop}.",
        "why": "Vous recevez cet e-mail car vous avez donné cette adresse dans le chat de {shop}.",
    },
}


def language(tag: str | None) -> str:
    """The supported language of a visitor's language tag; English when unsupported."""
    primary = (tag or "").split("-", 1)[0].lower()
    return primary if primary in WORDS else "en"


def words(tag: str | None) -> dict[str, str]:
    return WORDS[language(tag)]
