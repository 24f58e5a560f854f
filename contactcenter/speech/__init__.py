"""Speech: text-to-speech prompts (pyttsx3 + espeak-ng) rendered to the 8 kHz mono audio
Asterisk plays, cached by content. Must not import anything above it.
"""
