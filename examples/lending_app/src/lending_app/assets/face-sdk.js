/* Stand-in for the face-recognition SDK: loaded only when yinsi allows it. */
window.faceSdkLoaded = true;
