"""What the companion says when the screen flags a message, by severity.

At the highest severity (intent, a plan, a method, a preparatory act) the reply is this
fixed, reviewed message after the resources, never free model text. At lower severity
the model still answers, after the resources, told to stay with the person."""

from __future__ import annotations

from confidant.safety.crisis import CrisisSignal

# Reviewed wording: warm, direct, one clear step (reach a person now), no judgement,
# no promises the service cannot keep. Changing it is a safety change.
REACH_A_PERSON = {
    "en": (
        "I'm really glad you told me. What you're going through sounds serious, and your "
        "safety matters more than anything right now. Please reach a person now: call one "
        "of the numbers above, or ask someone near you to stay with you while you do. If "
        "you might act on these thoughts, call your emergency number straight away. I'm "
        "here, and I'll keep listening."
    ),
    "es": (
        "Me alegra mucho que me lo hayas contado. Lo que estás pasando suena serio, y tu "
        "seguridad es lo más importante ahora mismo. Por favor, habla con una persona ya: "
        "llama a uno de los números de arriba, o pide a alguien cercano que se quede "
        "contigo mientras lo haces. Si crees que podrías actuar, llama al número de "
        "emergencias ahora. Estoy aquí y te sigo escuchando."
    ),
    "de": (
        "Ich bin froh, dass du es mir sagst. Was du gerade durchmachst, klingt ernst, und "
        "deine Sicherheit ist jetzt das Wichtigste. Bitte sprich jetzt mit einem Menschen: "
        "ruf eine der Nummern oben an, oder bitte jemanden in deiner Nähe, bei dir zu "
        "bleiben, während du anrufst. Wenn du fürchtest, es zu tun, ruf sofort den "
        "Notruf an. Ich bin da und höre dir weiter zu."
    ),
    "fr": (
        "Je suis vraiment content que vous me l'ayez dit. Ce que vous vivez semble grave, "
        "et votre sécurité compte plus que tout en ce moment. S'il vous plaît, parlez à "
        "quelqu'un maintenant : appelez l'un des numéros ci-dessus, ou demandez à une "
        "personne proche de rester avec vous pendant l'appel. Si vous pensez passer à "
        "l'acte, appelez les urgences tout de suite. Je suis là et je vous écoute."
    ),
    "vi": (
        "Cảm ơn bạn đã nói với mình. Điều bạn đang trải qua nghe rất nghiêm trọng, và sự "
        "an toàn của bạn là quan trọng nhất lúc này. Hãy liên lạc với một người ngay bây "
        "giờ: gọi một trong các số ở trên, hoặc nhờ ai đó ở gần ở bên bạn trong lúc gọi. "
        "Nếu bạn có thể hành động theo những suy nghĩ này, hãy gọi số khẩn cấp ngay. "
        "Mình vẫn ở đây và lắng nghe bạn."
    ),
}

# Said first in a live call on a signal, where the resources are on the screen, not read out.
SPOKEN_POINTER = {
    "en": "I've put numbers where you can reach a person right now on your screen.",
    "es": "He puesto en tu pantalla números donde puedes hablar con una persona ahora mismo.",
    "de": (
        "Ich habe dir Nummern auf den Bildschirm gelegt, unter denen du jetzt einen "
        "Menschen erreichst."
    ),
    "fr": "J'ai affiché à l'écran des numéros où vous pouvez joindre quelqu'un tout de suite.",
    "vi": (
        "Mình đã để trên màn hình những số bạn có thể gọi để nói chuyện với một người ngay bây giờ."
    ),
}

# For the model, after the resources, at lower severity.
STAY_WITH_THEM = (
    "The person may be at risk of suicide or self-harm; crisis resources have already "
    "been shown to them above your reply. Stay with them: answer warmly and briefly, "
    "take what they said seriously, ask how they are feeling right now and whether they "
    "are safe, and encourage them to contact one of the resources or someone they trust. "
    "Never describe methods, never judge, never promise secrecy."
)


def is_high(signal: CrisisSignal) -> bool:
    return signal.severity == "high"


def reach_a_person(language: str | None) -> str:
    return REACH_A_PERSON.get((language or "en").split("-")[0], REACH_A_PERSON["en"])


def spoken_pointer(language: str | None) -> str:
    return SPOKEN_POINTER.get((language or "en").split("-")[0], SPOKEN_POINTER["en"])


def fixed_reply(resources: str, language: str | None) -> str:
    """The whole reply at the highest severity: resources, then the reviewed message."""
    return f"{resources}\n\n{reach_a_person(language)}"
