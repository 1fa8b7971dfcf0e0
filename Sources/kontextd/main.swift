print("kontextd")
